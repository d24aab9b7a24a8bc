output "public_api_dns_name" {
  description = "External ALB: point the public API hostname here."
  value       = aws_lb.external.dns_name
}

output "internal_alb_dns_name" {
  description = "Internal ALB: http://<this>/engine/..., /agent/... (VPC and developer CIDRs); gRPC on 443."
  value       = aws_lb.internal.dns_name
}

output "grpc_nlb_dns_name" {
  description = "Internal NLB: <this>:50050 (engine), :50051 (agent), plaintext gRPC."
  value       = aws_lb.grpc.dns_name
}

# `terraform output -json lb_cutover > cutover.json` is what `bridgectl lb` manages
# (infra/lb/config.py reads this shape).
output "lb_cutover" {
  description = "The managed cutover points for bridgectl lb (--config / BRIDGECTL_LB_CONFIG)."
  value = {
    region = var.aws_region
    services = {
      for name, backend in local.backends : name => {
        http = {
          listener_arn  = aws_lb_listener.internal_http.arn
          rule_arn      = aws_lb_listener_rule.http[name].arn
          target_groups = { for c in local.colors : c => aws_lb_target_group.http["${name}-${c}"].arn }
        }
        grpc = {
          listener_arn  = aws_lb_listener.internal_grpc.arn
          rule_arn      = aws_lb_listener_rule.grpc[name].arn
          target_groups = { for c in local.colors : c => aws_lb_target_group.grpc["${name}-${c}"].arn }
        }
        nlb = {
          listener_arn  = aws_lb_listener.grpc[name].arn
          target_groups = { for c in local.colors : c => aws_lb_target_group.nlb["${name}-${c}"].arn }
        }
      }
    }
  }
}
