variable "project" {
  description = "Name prefix of every resource."
  type        = string
  default     = "flowbridge"
}

variable "environment" {
  description = "staging | production (production turns on deletion protection)."
  type        = string
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "aws_region" {
  description = "AWS region."
  type        = string
}

variable "vpc_id" {
  description = "The VPC everything runs in."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of that VPC: the only network, with developer_cidrs, that reaches the internal load balancers."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the external (internet-facing) ALB."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the internal ALB, the internal NLB and the ECS tasks (no public IPs)."
  type        = list(string)
}

variable "developer_cidrs" {
  description = "Extra CIDRs (VPN, bastion) allowed to the internal ALB for the internal API docs. Never 0.0.0.0/0."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for cidr in var.developer_cidrs : cidr != "0.0.0.0/0" && cidr != "::/0"])
    error_message = "developer_cidrs must not open the internal load balancer to the internet."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of the public API hostname (external ALB, HTTPS)."
  type        = string
}

variable "internal_certificate_arn" {
  description = "ACM certificate of the internal hostname: gRPC through an ALB needs HTTPS (HTTP/2)."
  type        = string
}

variable "image" {
  description = "Container image repository (one image for every service: bridgectl serve NAME)."
  type        = string
}

variable "image_tags" {
  description = "Image tag per colour: blue runs the current release, green the candidate; the gateway runs blue."
  type        = object({ blue = string, green = string })
}

variable "protocols" {
  description = "PROTOCOLS per colour: the legacy tasks may be gRPC-only, the new ones dual-protocol."
  type        = object({ blue = string, green = string })
  default     = { blue = "grpc,http", green = "grpc,http" }
  validation {
    condition = alltrue([
      for p in [var.protocols.blue, var.protocols.green] : contains(["grpc", "http", "grpc,http", "http,grpc"], p)
    ])
    error_message = "protocols must be grpc, http or grpc,http."
  }
}

variable "desired_counts" {
  description = "Tasks per colour of each backend; the gateway runs desired_counts.gateway."
  type        = object({ blue = number, green = number, gateway = number })
  default     = { blue = 2, green = 0, gateway = 2 }
}

# -- traffic weights: a cutover step is a change of these ---------------------------------
# ALB forward weights are 0..999 each (relative; at least one non-zero per action).
# `bridgectl lb shift --http-weight N` writes {green = N, blue = 100 - N}: set the same
# numbers here (bridgectl lb status shows them) so the next apply keeps them.

variable "http_weights" {
  description = "Internal ALB weights between each backend's blue and green HTTP target groups."
  type        = map(object({ blue = number, green = number }))
  default = {
    engine = { blue = 100, green = 0 }
    agent  = { blue = 100, green = 0 }
  }
  validation {
    condition = alltrue([
      for w in values(var.http_weights) :
      w.blue >= 0 && w.blue <= 999 && w.green >= 0 && w.green <= 999 && w.blue + w.green > 0
    ])
    error_message = "ALB weights are 0..999 with at least one non-zero per backend."
  }
}

variable "grpc_weights" {
  description = "Internal ALB weights between each backend's blue and green gRPC (protocol_version GRPC) target groups."
  type        = map(object({ blue = number, green = number }))
  default = {
    engine = { blue = 100, green = 0 }
    agent  = { blue = 100, green = 0 }
  }
  validation {
    condition = alltrue([
      for w in values(var.grpc_weights) :
      w.blue >= 0 && w.blue <= 999 && w.green >= 0 && w.green <= 999 && w.blue + w.green > 0
    ])
    error_message = "ALB weights are 0..999 with at least one non-zero per backend."
  }
}

variable "nlb_active" {
  description = "Colour each backend's NLB (gRPC, TCP) listener forwards to; `bridgectl lb switch` swaps it."
  type        = map(string)
  default = {
    engine = "blue"
    agent  = "blue"
  }
  validation {
    condition     = alltrue([for c in values(var.nlb_active) : contains(["blue", "green"], c)])
    error_message = "nlb_active values are blue or green."
  }
}

variable "task_cpu" {
  description = "Fargate CPU units per task."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Fargate memory (MiB) per task."
  type        = number
  default     = 1024
}

variable "secret_arns" {
  description = "Secrets Manager / SSM ARNs injected as environment: DATABASE_URL, REDIS_URL, JWT_SECRET, SERVICE_TOKEN, ADMIN_TOKEN, OPENAI_API_KEY, ANTHROPIC_API_KEY (any subset)."
  type        = map(string)
  default     = {}
  validation {
    condition = alltrue([
      for k in keys(var.secret_arns) :
      contains(["DATABASE_URL", "REDIS_URL", "JWT_SECRET", "SERVICE_TOKEN", "ADMIN_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"], k)
    ])
    error_message = "unknown secret name."
  }
}

variable "transport" {
  description = "Gateway TRANSPORT default rule (grpc | http | http:25 ...); FLAGS_STORE redis overrides it live."
  type        = string
  default     = "grpc"
}

variable "llm_provider" {
  description = "Agent LLM_PROVIDER: auto | offline | openai | anthropic."
  type        = string
  default     = "auto"
  validation {
    condition     = contains(["auto", "offline", "openai", "anthropic"], var.llm_provider)
    error_message = "llm_provider must be auto, offline, openai or anthropic."
  }
}

variable "log_retention_days" {
  description = "CloudWatch retention of the task logs."
  type        = number
  default     = 365
}
