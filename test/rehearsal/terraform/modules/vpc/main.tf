# The VPC module of the reference environment (../shared/DOMAIN.md): per-AZ Elastic IPs, NAT gateways or NAT
# instances by use_nat_instance, quiesce, private routes, the AMI lookup, the SMTP A record and reverse DNS.
# Image Builder (build_nat_ami) is not modelled: the AWS stand-in has no Image Builder; tests register the AMI.
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "environment" {
  type = string
}

variable "az_list" {
  type = list(string)
}

variable "use_nat_instance" {
  type = bool
}

variable "quiesced" {
  type = bool
}

variable "nat_instance_type" {
  type = string
}

variable "control_domain" {
  type = string
}

variable "zone_id" {
  type = string
}

variable "ami_role_filter" {
  type    = bool
  default = true
}

# Which public subnet NAT i sits in (null: subnet i), and which AZ public subnet i is in (null: AZ i): a subnet list
# re-derived by a module upgrade moves a NAT into another AZ (aws-ia/terraform-aws-vpc#189).
variable "nat_subnet_index" {
  type    = list(number)
  default = null
}

variable "public_az_index" {
  type    = list(number)
  default = null
}

variable "cidr_block" {
  type    = string
  default = "10.0.0.0/16"
}

locals {
  az_count      = length(var.az_list)
  nat_gateways  = !var.use_nat_instance && !var.quiesced ? local.az_count : 0
  nat_instances = var.use_nat_instance && !var.quiesced ? local.az_count : 0
  nat_subnet    = var.nat_subnet_index == null ? range(local.az_count) : var.nat_subnet_index
  public_az     = var.public_az_index == null ? range(local.az_count) : var.public_az_index
}

resource "aws_vpc" "network" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "cabal-vpc" }
}

resource "aws_internet_gateway" "igw" {
  vpc_id = aws_vpc.network.id
  tags   = { Name = "cabal-igw" }
}

resource "aws_subnet" "public" {
  count             = local.az_count
  vpc_id            = aws_vpc.network.id
  availability_zone = var.az_list[local.public_az[count.index]]
  cidr_block        = cidrsubnet(var.cidr_block, 8, count.index)
  tags              = { Name = "cabal-public-${count.index}" }
}

resource "aws_subnet" "private" {
  count             = local.az_count
  vpc_id            = aws_vpc.network.id
  availability_zone = var.az_list[count.index]
  cidr_block        = cidrsubnet(var.cidr_block, 8, 100 + count.index)
  tags              = { Name = "cabal-private-${count.index}" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.network.id
  tags   = { Name = "cabal-public" }
}

resource "aws_route" "public" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.igw.id
}

resource "aws_route_table_association" "public" {
  count          = local.az_count
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  count  = local.az_count
  vpc_id = aws_vpc.network.id
  tags   = { Name = "cabal-private-${count.index}" }
}

resource "aws_route_table_association" "private" {
  count          = local.az_count
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# The stable outbound IPs: SPF, reverse DNS, allow-lists and the port-25 unblock depend on them.
resource "aws_eip" "nat_eip" {
  count  = local.az_count
  domain = "vpc"
  tags   = { Name = "cabal-nat-eip-${count.index}" }
}

resource "aws_nat_gateway" "nat" {
  count         = local.nat_gateways
  allocation_id = aws_eip.nat_eip[count.index].id
  subnet_id     = aws_subnet.public[local.nat_subnet[count.index]].id
  tags          = { Name = "cabal-nat-${count.index}" }
  depends_on    = [aws_internet_gateway.igw]
}

# The NAT AMI baked by Image Builder: the tag Role=cabal-nat is added only after the image's tests pass. Without
# the tag filter (ami_role_filter = false) the newest image by name wins, tested or not.
data "aws_ami" "custom_nat" {
  count       = var.use_nat_instance ? 1 : 0
  owners      = ["self"]
  most_recent = true
  filter {
    name   = "name"
    values = ["cabal-nat-al2023-*"]
  }
  dynamic "filter" {
    for_each = var.ami_role_filter ? ["cabal-nat"] : []
    content {
      name   = "tag:Role"
      values = [filter.value]
    }
  }
}

resource "aws_security_group" "nat" {
  count       = var.use_nat_instance ? 1 : 0
  name        = "cabal-nat"
  description = "NAT instances: forward traffic from the private subnets"
  vpc_id      = aws_vpc.network.id
  tags        = { Name = "cabal-nat" }
}

resource "aws_security_group_rule" "nat_ingress" {
  count             = var.use_nat_instance ? 1 : 0
  type              = "ingress"
  security_group_id = aws_security_group.nat[0].id
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = [var.cidr_block]
}

resource "aws_security_group_rule" "nat_egress" {
  count             = var.use_nat_instance ? 1 : 0
  type              = "egress"
  security_group_id = aws_security_group.nat[0].id
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_iam_role" "nat" {
  count = var.use_nat_instance ? 1 : 0
  name  = "${var.environment}-cabal-nat"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_instance_profile" "nat" {
  count = var.use_nat_instance ? 1 : 0
  name  = "${var.environment}-cabal-nat"
  role  = aws_iam_role.nat[0].name
}

resource "aws_instance" "nat" {
  count                  = local.nat_instances
  ami                    = data.aws_ami.custom_nat[0].id
  instance_type          = var.nat_instance_type
  subnet_id              = aws_subnet.public[local.nat_subnet[count.index]].id
  vpc_security_group_ids = [aws_security_group.nat[0].id]
  iam_instance_profile   = aws_iam_instance_profile.nat[0].name
  source_dest_check      = false
  tags                   = { Name = "cabal-nat-${count.index}" }
}

resource "aws_eip_association" "nat" {
  count         = local.nat_instances
  allocation_id = aws_eip.nat_eip[count.index].id
  instance_id   = aws_instance.nat[count.index].id
}

# Private default route: through the AZ's NAT gateway, or the NAT instance's primary ENI. None when quiesced.
resource "aws_route" "private" {
  count                  = var.quiesced ? 0 : local.az_count
  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = var.use_nat_instance ? null : aws_nat_gateway.nat[count.index].id
  network_interface_id   = var.use_nat_instance ? aws_instance.nat[count.index].primary_network_interface_id : null
}

resource "aws_route53_record" "smtp" {
  zone_id = var.zone_id
  name    = "smtp.${var.control_domain}"
  type    = "A"
  ttl     = 300
  records = aws_eip.nat_eip[*].public_ip
}

# Reverse DNS of each Elastic IP (the stand-in models ModifyAddressAttribute / DescribeAddressesAttribute).
resource "aws_eip_domain_name" "smtp" {
  count         = local.az_count
  allocation_id = aws_eip.nat_eip[count.index].id
  domain_name   = aws_route53_record.smtp.fqdn
}

output "vpc_id" {
  value = aws_vpc.network.id
}

output "relay_ips" {
  value = aws_eip.nat_eip[*].public_ip
}

output "eip_allocation_ids" {
  value = aws_eip.nat_eip[*].id
}

output "private_route_table_ids" {
  value = aws_route_table.private[*].id
}
