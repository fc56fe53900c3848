"""Delivery channels (R4). `deliverer.build_deliverer(config)` gives the `port.Deliverer`:
Finvoice 3.0 e-invoices (`finvoice`), invoice PDFs and print letters (`pdf`), emails through
SES v2 (`mail`), HTTP or S3-outbox transports (`transports`) and the S3 archive (`archive`)."""
