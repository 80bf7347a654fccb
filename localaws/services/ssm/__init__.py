"""Systems Manager: parameters with tags in CloudFormation's map form."""
