# Only the external ALB is reachable from the internet (443, and 80 which redirects).
# The internal ALB and NLB take the VPC and developer_cidrs; tasks take only their LBs.

resource "aws_security_group" "external_alb" {
  name_prefix = "${local.name}-external-alb-"
  description = "External ALB: HTTPS from the internet to the gateway"
  vpc_id      = var.vpc_id
  #checkov:skip=CKV_AWS_260:port 80 only answers a 301 to HTTPS (aws_lb_listener.external_http)

  ingress {
    description = "HTTPS from the internet"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    description = "HTTP from the internet, redirected to HTTPS"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    description = "To the gateway tasks"
    from_port   = local.gateway_port
    to_port     = local.gateway_port
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "internal_alb" {
  name_prefix = "${local.name}-internal-alb-"
  description = "Internal ALB: HTTP API and docs (80), gRPC over HTTPS (443), VPC and developers only"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTP from the VPC and developer CIDRs"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = concat([var.vpc_cidr], var.developer_cidrs)
  }
  ingress {
    description = "gRPC (HTTPS) from the VPC and developer CIDRs"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = concat([var.vpc_cidr], var.developer_cidrs)
  }
  egress {
    description = "To the backend tasks: HTTP and gRPC"
    from_port   = local.container_http_port
    to_port     = local.container_http_port
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
  egress {
    description = "To the backend tasks: gRPC ports"
    from_port   = min(local.grpc_ports...)
    to_port     = max(local.grpc_ports...)
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "nlb" {
  name_prefix = "${local.name}-grpc-nlb-"
  description = "Internal NLB: gRPC (TCP) from the VPC only"
  vpc_id      = var.vpc_id

  ingress {
    description = "gRPC from the VPC"
    from_port   = min(local.grpc_ports...)
    to_port     = max(local.grpc_ports...)
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
  egress {
    description = "To the backend tasks: gRPC ports"
    from_port   = min(local.grpc_ports...)
    to_port     = max(local.grpc_ports...)
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "gateway" {
  name_prefix = "${local.name}-gateway-"
  description = "Gateway tasks: from the external ALB only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "HTTP from the external ALB"
    from_port       = local.gateway_port
    to_port         = local.gateway_port
    protocol        = "tcp"
    security_groups = [aws_security_group.external_alb.id]
  }
  egress {
    description = "Out: the internal LBs, Redis, and AWS APIs (ECR, logs, secrets) through NAT"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"] #checkov:skip=CKV_AWS_382:tasks pull images and call AWS APIs through NAT; ingress is what is restricted
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "backend" {
  name_prefix = "${local.name}-backend-"
  description = "Engine and agent tasks: from the internal ALB and NLB only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "HTTP from the internal ALB"
    from_port       = local.container_http_port
    to_port         = local.container_http_port
    protocol        = "tcp"
    security_groups = [aws_security_group.internal_alb.id]
  }
  ingress {
    description     = "gRPC from the internal ALB and NLB"
    from_port       = min(local.grpc_ports...)
    to_port         = max(local.grpc_ports...)
    protocol        = "tcp"
    security_groups = [aws_security_group.internal_alb.id, aws_security_group.nlb.id]
  }
  egress {
    description = "Out: PostgreSQL, Redis, LLM APIs, AWS APIs through NAT"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"] #checkov:skip=CKV_AWS_382:the agent calls external LLM APIs and tasks pull images through NAT; ingress is what is restricted
  }
  lifecycle {
    create_before_destroy = true
  }
}
