//! wsdeploy: deploys AWS API Gateway WebSocket APIs from one YAML file.
