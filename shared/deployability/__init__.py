"""Offline proof that the stage templates can be deployed and run: deploy permissions against
the execution policy, service-to-service deliveries against resource policies, and each role
against the calls its code makes, all evaluated by an IAM policy evaluator."""
