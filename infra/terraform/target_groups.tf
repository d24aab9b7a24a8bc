# Target groups are replaced with create_before_destroy (hence name_prefix): a port change
# never leaves a listener pointing at a deleted group (a failure of the original migration).

resource "aws_lb_target_group" "gateway" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; ALB to task is plaintext inside the VPC, limited by security groups to the LB
  name_prefix          = "gw-"
  port                 = local.gateway_port
  protocol             = "HTTP"
  vpc_id               = var.vpc_id
  target_type          = "ip"
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTP"
    path                = "/health"
    port                = "traffic-port"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
  lifecycle {
    create_before_destroy = true
  }
}

# HTTP side of each backend colour: /health must answer 200.
resource "aws_lb_target_group" "http" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; ALB to task is plaintext inside the VPC, limited by security groups to the LB
  for_each = local.deployments

  name_prefix          = "${substr(each.value.backend, 0, 2)}h${substr(each.value.color, 0, 1)}-"
  port                 = local.container_http_port
  protocol             = "HTTP"
  vpc_id               = var.vpc_id
  target_type          = "ip"
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTP"
    path                = "/health"
    port                = "traffic-port"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
  tags = { Backend = each.value.backend, Color = each.value.color, Protocol = "http" }
  lifecycle {
    create_before_destroy = true
  }
}

# gRPC through the internal ALB: HTTP/2 to the targets, health from the standard
# grpc.health.v1.Health/Check. The ALB matches the gRPC status code only ("0" = OK): it
# proves the gRPC listener answers a real RPC. A NOT_SERVING answer also carries code 0,
# so readiness (dependencies, draining) is enforced by the HTTP group's /health (503) and
# by the container health check, which reads the serving status on both protocols.
resource "aws_lb_target_group" "grpc" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; ALB to task is plaintext inside the VPC, limited by security groups to the LB
  for_each = local.deployments

  name_prefix          = "${substr(each.value.backend, 0, 2)}g${substr(each.value.color, 0, 1)}-"
  port                 = each.value.grpc_port
  protocol             = "HTTP"
  protocol_version     = "GRPC"
  vpc_id               = var.vpc_id
  target_type          = "ip"
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTP"
    path                = "/grpc.health.v1.Health/Check"
    port                = "traffic-port"
    matcher             = "0"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
  tags = { Backend = each.value.backend, Color = each.value.color, Protocol = "grpc" }
  lifecycle {
    create_before_destroy = true
  }
}

# gRPC through the internal NLB (TCP passthrough, plaintext inside the VPC): the NLB can
# only probe TCP here, so the tasks' own container health check (bridge.healthcheck, both
# protocols) is what replaces a task whose gRPC health fails.
resource "aws_lb_target_group" "nlb" {
  for_each = local.deployments

  name_prefix          = "${substr(each.value.backend, 0, 2)}n${substr(each.value.color, 0, 1)}-"
  port                 = each.value.grpc_port
  protocol             = "TCP"
  vpc_id               = var.vpc_id
  target_type          = "ip"
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "TCP"
    port                = "traffic-port"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
  tags = { Backend = each.value.backend, Color = each.value.color, Protocol = "grpc-nlb" }
  lifecycle {
    create_before_destroy = true
  }
}
