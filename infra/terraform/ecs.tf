resource "aws_ecs_cluster" "main" {
  name = local.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "services" {
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days
  #checkov:skip=CKV_AWS_158:log encryption uses the account's default CloudWatch key; a CMK is an account decision
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name_prefix        = "${local.name}-exec-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "read_secrets" {
  count = length(var.secret_arns) > 0 ? 1 : 0
  statement {
    actions   = ["secretsmanager:GetSecretValue", "ssm:GetParameters"]
    resources = values(var.secret_arns)
  }
}

resource "aws_iam_role_policy" "read_secrets" {
  count  = length(var.secret_arns) > 0 ? 1 : 0
  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.read_secrets[0].json
}

resource "aws_iam_role" "task" {
  name_prefix        = "${local.name}-task-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

locals {
  # Which secrets each process reads (names as in the services' settings).
  secret_names = {
    engine  = ["DATABASE_URL", "REDIS_URL", "SERVICE_TOKEN"]
    agent   = ["REDIS_URL", "SERVICE_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"]
    gateway = ["REDIS_URL", "JWT_SECRET", "SERVICE_TOKEN", "ADMIN_TOKEN"]
  }
  secrets = {
    for process, names in local.secret_names :
    process => [for n in names : { name = n, valueFrom = var.secret_arns[n] } if contains(keys(var.secret_arns), n)]
  }

  backend_env = {
    engine = []
    agent  = [{ name = "LLM_PROVIDER", value = var.llm_provider }]
  }

  attachments = {
    for key, d in local.deployments : key => concat(
      contains(split(",", var.protocols[d.color]), "http") ? [
        { target_group_arn = aws_lb_target_group.http[key].arn, container_port = local.container_http_port },
      ] : [],
      contains(split(",", var.protocols[d.color]), "grpc") ? [
        { target_group_arn = aws_lb_target_group.grpc[key].arn, container_port = d.grpc_port },
        { target_group_arn = aws_lb_target_group.nlb[key].arn, container_port = d.grpc_port },
      ] : [],
    )
  }

  # One health check for both protocols (HTTP /health and grpc.health.v1.Health).
  container_health = {
    command     = ["CMD", "python", "-m", "bridge.healthcheck"]
    interval    = 15
    timeout     = 5
    retries     = 3
    startPeriod = 30
  }
}

resource "aws_ecs_task_definition" "backend" {
  for_each = local.deployments

  family                   = "${local.name}-${each.value.service}-${each.value.color}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  container_definitions = jsonencode([{
    name                   = each.value.service
    image                  = "${var.image}:${var.image_tags[each.value.color]}"
    command                = ["${each.value.backend}"]
    essential              = true
    readonlyRootFilesystem = true
    user                   = "10001:10001"
    portMappings = [
      { containerPort = local.container_http_port, protocol = "tcp", name = "http" },
      { containerPort = each.value.grpc_port, protocol = "tcp", name = "grpc" },
    ]
    environment = concat([
      { name = "HOST", value = "0.0.0.0" },
      { name = "PORT", value = tostring(local.container_http_port) },
      { name = "GRPC_PORT", value = tostring(each.value.grpc_port) },
      { name = "PROTOCOLS", value = var.protocols[each.value.color] },
      { name = "DRAIN_DELAY_SECONDS", value = "10" },
      # The internal ALB strips /engine or /agent: the API docs must ask for it.
      { name = "ROOT_PATH", value = each.value.path },
    ], local.backend_env[each.value.backend])
    secrets     = local.secrets[each.value.backend]
    healthCheck = local.container_health
    # Read-only root: the engine's SQLite fallback and temp files get their own volumes.
    mountPoints = [
      { sourceVolume = "data", containerPath = "/data" },
      { sourceVolume = "tmp", containerPath = "/tmp" },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.services.name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "${each.value.service}-${each.value.color}"
      }
    }
  }])
  volume {
    name = "data"
  }
  volume {
    name = "tmp"
  }
}

resource "aws_ecs_task_definition" "gateway" {
  family                   = "${local.name}-gateway"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  container_definitions = jsonencode([{
    name                   = "gateway"
    image                  = "${var.image}:${var.image_tags.blue}"
    command                = ["gateway"]
    essential              = true
    readonlyRootFilesystem = true
    user                   = "10001:10001"
    portMappings           = [{ containerPort = local.gateway_port, protocol = "tcp", name = "http" }]
    environment = [
      { name = "HOST", value = "0.0.0.0" },
      { name = "PORT", value = tostring(local.gateway_port) },
      # Base URLs carry no version; the internal ALB strips /engine and /agent.
      { name = "WORKFLOW_ENGINE_URL", value = "http://${aws_lb.internal.dns_name}${local.backends.engine.path}" },
      { name = "WORKFLOW_AGENT_URL", value = "http://${aws_lb.internal.dns_name}${local.backends.agent.path}" },
      # gRPC through the NLB (plaintext inside the VPC).
      { name = "WORKFLOW_ENGINE_GRPC", value = "${aws_lb.grpc.dns_name}:${local.backends.engine.grpc_port}" },
      { name = "WORKFLOW_AGENT_GRPC", value = "${aws_lb.grpc.dns_name}:${local.backends.agent.grpc_port}" },
      { name = "TRANSPORT", value = var.transport },
    ]
    secrets     = local.secrets.gateway
    healthCheck = merge(local.container_health, { command = ["CMD", "python", "-m", "bridge.healthcheck", "--http", "http://127.0.0.1:${local.gateway_port}/health"] })
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.services.name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "gateway"
      }
    }
  }])
}

resource "aws_ecs_service" "backend" {
  for_each = local.deployments

  name                              = "${each.value.service}-${each.value.color}"
  cluster                           = aws_ecs_cluster.main.id
  task_definition                   = aws_ecs_task_definition.backend[each.key].arn
  desired_count                     = var.desired_counts[each.value.color]
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = 30
  propagate_tags                    = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.backend.id]
    assign_public_ip = false
  }
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  # One task in up to three target groups: HTTP (internal ALB), gRPC (internal ALB) and
  # gRPC (NLB), each only if the colour's PROTOCOLS serves it: ECS replaces a task that
  # fails any of its groups' health checks, so a gRPC-only (legacy) colour must not sit in
  # an HTTP group.
  dynamic "load_balancer" {
    for_each = local.attachments[each.key]
    content {
      target_group_arn = load_balancer.value.target_group_arn
      container_name   = each.value.service
      container_port   = load_balancer.value.container_port
    }
  }
  depends_on = [aws_lb_listener_rule.http, aws_lb_listener_rule.grpc, aws_lb_listener.grpc]
}

resource "aws_ecs_service" "gateway" {
  name                              = "gateway"
  cluster                           = aws_ecs_cluster.main.id
  task_definition                   = aws_ecs_task_definition.gateway.arn
  desired_count                     = var.desired_counts.gateway
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = 30
  propagate_tags                    = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.gateway.id]
    assign_public_ip = false
  }
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.gateway.arn
    container_name   = "gateway"
    container_port   = local.gateway_port
  }
  depends_on = [aws_lb_listener_rule.gateway]
}
