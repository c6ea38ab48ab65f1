"""The local run: what AWS would supply around the platform's code, on this machine
(moto as the AWS API, event delivery, a Glue executor on local Spark)."""
