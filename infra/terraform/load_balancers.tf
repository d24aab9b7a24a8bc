# -- external ALB: the internet to the gateway only ---------------------------------------

resource "aws_lb" "external" {
  name                       = "${local.name}-external"
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.external_alb.id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.environment == "production"
  #checkov:skip=CKV_AWS_150:deletion protection follows var.environment (on in production); staging stacks are torn down
  #checkov:skip=CKV_AWS_91:access logs need a log bucket this module does not own; enable per account
  #checkov:skip=CKV2_AWS_28:WAF is attached per account (shared web ACL), not by this module
  tags = { Visibility = "public" }
}

resource "aws_lb_listener" "external_https" {
  load_balancer_arn = aws_lb.external.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      message_body = "{\"error\": {\"code\": \"NOT_FOUND\", \"message\": \"no such route\", \"details\": []}}"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener" "external_http" {
  load_balancer_arn = aws_lb.external.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

# The public API (/api/public, /api/app, ...) and the gateway's own /health and /docs.
resource "aws_lb_listener_rule" "gateway" {
  listener_arn = aws_lb_listener.external_https.arn
  priority     = 100

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.gateway.arn
  }
  condition {
    path_pattern {
      values = ["/api/*", "/health", "/docs", "/openapi.json"]
    }
  }
}

# -- internal ALB: /engine/* and /agent/* (HTTP + internal docs), gRPC on 443 -------------

resource "aws_lb" "internal" {
  name                       = "${local.name}-internal"
  internal                   = true
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.internal_alb.id]
  subnets                    = var.private_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.environment == "production"
  #checkov:skip=CKV_AWS_150:deletion protection follows var.environment (on in production); staging stacks are torn down
  #checkov:skip=CKV_AWS_91:access logs need a log bucket this module does not own; enable per account
  #checkov:skip=CKV2_AWS_20:VPC-only ALB; port 80 serves the internal HTTP API and docs as the plan specifies, gRPC uses 443
  tags = { Visibility = "private" }
}

resource "aws_lb_listener" "internal_http" {
  load_balancer_arn = aws_lb.internal.arn
  port              = 80
  protocol          = "HTTP"
  #checkov:skip=CKV_AWS_2:VPC-only listener (security group: VPC and developer CIDRs); gRPC and anything sensitive use the HTTPS listener
  #checkov:skip=CKV_AWS_103:plain HTTP listener, no TLS policy applies (see CKV_AWS_2)

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "internal API: use /engine/... or /agent/..."
      status_code  = "404"
    }
  }
}

# /engine/v1/workflows -> /v1/workflows on the engine: the services serve at the root
# and the gateway's base URL is http://<internal ALB>/engine (no version; clients add /v1).
resource "aws_lb_listener_rule" "http" {
  for_each = local.backends

  listener_arn = aws_lb_listener.internal_http.arn
  priority     = each.value.priority

  action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.http["${each.key}-blue"].arn
        weight = var.http_weights[each.key].blue
      }
      target_group {
        arn    = aws_lb_target_group.http["${each.key}-green"].arn
        weight = var.http_weights[each.key].green
      }
      stickiness {
        enabled  = false
        duration = 1
      }
    }
  }
  condition {
    path_pattern {
      values = ["${each.value.path}/*"]
    }
  }
  transform {
    type = "url-rewrite"
    url_rewrite_config {
      rewrite {
        regex   = "^${each.value.path}/(.*)$"
        replace = "/$1"
      }
    }
  }
  tags = { "flowbridge:cutover" = "${each.key}/http" }
  lifecycle {
    # bridgectl lb records the last known good weights here.
    ignore_changes = [tags["flowbridge:last-good"], tags["flowbridge:last-good-at"], tags_all]
  }
}

resource "aws_lb_listener" "internal_grpc" {
  load_balancer_arn = aws_lb.internal.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.internal_certificate_arn

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "unknown gRPC service"
      status_code  = "404"
    }
  }
}

# gRPC paths are /<package>.<Service>/<Method>: route by proto package.
resource "aws_lb_listener_rule" "grpc" {
  for_each = local.backends

  listener_arn = aws_lb_listener.internal_grpc.arn
  priority     = each.value.priority

  action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.grpc["${each.key}-blue"].arn
        weight = var.grpc_weights[each.key].blue
      }
      target_group {
        arn    = aws_lb_target_group.grpc["${each.key}-green"].arn
        weight = var.grpc_weights[each.key].green
      }
      stickiness {
        enabled  = false
        duration = 1
      }
    }
  }
  condition {
    path_pattern {
      values = ["/${each.value.grpc_package}.*"]
    }
  }
  tags = { "flowbridge:cutover" = "${each.key}/grpc" }
  lifecycle {
    ignore_changes = [tags["flowbridge:last-good"], tags["flowbridge:last-good-at"], tags_all]
  }
}

# -- internal NLB: gRPC over TCP, one listener per backend port ---------------------------

resource "aws_lb" "grpc" {
  name                             = "${local.name}-grpc"
  internal                         = true
  load_balancer_type               = "network"
  security_groups                  = [aws_security_group.nlb.id]
  subnets                          = var.private_subnet_ids
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.environment == "production"
  #checkov:skip=CKV_AWS_150:deletion protection follows var.environment (on in production); staging stacks are torn down
  #checkov:skip=CKV_AWS_91:access logs need a log bucket this module does not own; enable per account
  tags = { Visibility = "private" }
}

# An NLB listener forwards to one target group: a cutover swaps it (bridgectl lb switch,
# or nlb_active here), in one ModifyListener call.
resource "aws_lb_listener" "grpc" {
  for_each = local.backends

  load_balancer_arn = aws_lb.grpc.arn
  port              = each.value.grpc_port
  protocol          = "TCP"
  #checkov:skip=CKV_AWS_2:TCP passthrough inside the VPC; TLS for gRPC is the internal ALB's 443 listener

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.nlb["${each.key}-${var.nlb_active[each.key]}"].arn
  }
  tags = { "flowbridge:cutover" = "${each.key}/nlb" }
  lifecycle {
    ignore_changes = [tags["flowbridge:last-good"], tags["flowbridge:last-good-at"], tags_all]
  }
}
