"""Deployment: Terraform for ECS Fargate (infra/terraform) and ``bridgectl lb`` (infra.lb)."""
