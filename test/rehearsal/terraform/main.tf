# Rehearsal environment: the Cabalmail-shaped root module (see ../README.md). Tests and docs only.
# A plain provider block: the endpoint comes from AWS_ENDPOINT_URL (the rehearsal points it at its AWS stand-in).
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "environment" {
  description = "Environment label; prefixes the account-wide names (IAM)."
  type        = string
  default     = "prod"
}

variable "control_domain" {
  description = "Mail control domain: smtp.<control_domain> resolves to the NAT Elastic IPs and is their reverse DNS."
  type        = string
  default     = "example.com"
}

variable "az_count" {
  description = "Number of availability zones (one NAT per AZ)."
  type        = number
  default     = 2
}

variable "use_nat_instance" {
  description = "true: NAT instances from the custom AMI; false: NAT gateways."
  type        = bool
  default     = false
}

variable "quiesced" {
  description = "true: no NAT and no private default route (non-prod scaled to zero)."
  type        = bool
  default     = false
}

variable "nat_instance_type" {
  description = "Instance type of the NAT instances."
  type        = string
  default     = "t3.micro"
}

variable "nat_ami_role_filter" {
  description = "true: the NAT AMI lookup also filters on tag Role=cabal-nat (only tested images); false: on the name only."
  type        = bool
  default     = true
}

variable "nat_subnet_indexes" {
  description = "Which public subnet each NAT sits in, by position (default: NAT i in public subnet i)."
  type        = list(number)
  default     = null
}

variable "public_subnet_az_indexes" {
  description = "Which AZ of az_list each public subnet is in, by position (default: subnet i in AZ i)."
  type        = list(number)
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the private tiers' log groups (their fresh events prove egress)."
  type        = number
  default     = 30
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_route53_zone" "control" {
  name = var.control_domain
}

# The private tiers' log groups (CloudWatch Logs has no VPC endpoint: shipping logs proves NAT egress).
resource "aws_cloudwatch_log_group" "tier" {
  for_each          = toset(["/ecs/cabal-imap", "/ecs/cabal-smtp-in", "/ecs/cabal-smtp-out"])
  name              = each.value
  retention_in_days = var.log_retention_days
}

module "vpc" {
  source            = "./modules/vpc"
  environment       = var.environment
  az_list           = slice(data.aws_availability_zones.available.names, 0, var.az_count)
  use_nat_instance  = var.use_nat_instance
  quiesced          = var.quiesced
  nat_instance_type = var.nat_instance_type
  control_domain    = var.control_domain
  ami_role_filter   = var.nat_ami_role_filter
  nat_subnet_index  = var.nat_subnet_indexes
  public_az_index   = var.public_subnet_az_indexes
  zone_id           = aws_route53_zone.control.zone_id
}

output "relay_ips" {
  description = "The stable outbound IPs (one Elastic IP per AZ)."
  value       = module.vpc.relay_ips
}

output "vpc_id" {
  value = module.vpc.vpc_id
}

output "eip_allocation_ids" {
  value = module.vpc.eip_allocation_ids
}

output "private_route_table_ids" {
  value = module.vpc.private_route_table_ids
}
