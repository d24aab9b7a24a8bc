locals {
  name = "${var.project}-${var.environment}"

  common_tags = {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  }

  # Must match contract/ports.py (tests/infra/test_terraform.py checks): HTTP is 8000
  # inside every container, gRPC keeps the service's own port.
  container_http_port = 8000
  gateway_port        = 8000

  backends = {
    engine = {
      service      = "workflow-engine"
      grpc_port    = 50050
      path         = "/engine"
      grpc_package = "contract.engine.v1"
      priority     = 200
    }
    agent = {
      service      = "workflow-agent"
      grpc_port    = 50051
      path         = "/agent"
      grpc_package = "contract.agent.v1"
      priority     = 100
    }
  }

  # Blue/green per backend: two ECS services, each in its own target groups, so a
  # cutover moves traffic between groups of the same protocol (DESIGN.md, cutover rules).
  colors = ["blue", "green"]

  deployments = {
    for pair in setproduct(keys(local.backends), local.colors) :
    "${pair[0]}-${pair[1]}" => merge(local.backends[pair[0]], { backend = pair[0], color = pair[1] })
  }

  grpc_ports = [for b in values(local.backends) : b.grpc_port]
}
