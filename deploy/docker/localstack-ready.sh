#!/bin/sh
# LocalStack runs this once it is ready: the stream that fleet.yaml reads.
awslocal kinesis create-stream --stream-name orders --shard-count 4
awslocal kinesis wait stream-exists --stream-name orders
