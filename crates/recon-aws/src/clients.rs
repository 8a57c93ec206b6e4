//! The SDK clients, one per AWS service recon calls, built once from one configuration, each
//! with recon's retry rule (`sdk_config`: faults of the environment are not retried).

use aws_config::SdkConfig;

use crate::sdk_config;

/// One client per service. Cheap to clone (each client is a handle around shared state).
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub kms: aws_sdk_kms::Client,
    pub efs: aws_sdk_efs::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub elb: aws_sdk_elasticloadbalancing::Client,
    pub iam: aws_sdk_iam::Client,
    pub s3: aws_sdk_s3::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Self {
        Clients {
            ec2: sdk_config::ec2(config),
            kms: sdk_config::kms(config),
            efs: sdk_config::efs(config),
            autoscaling: sdk_config::autoscaling(config),
            elb: sdk_config::elb(config),
            iam: sdk_config::iam(config),
            s3: sdk_config::s3(config),
            logs: sdk_config::logs(config),
        }
    }
}
