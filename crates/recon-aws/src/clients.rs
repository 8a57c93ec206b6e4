//! The SDK clients, one per AWS service recon calls, built once from one configuration.

use aws_config::SdkConfig;

/// One client per service. Cheap to clone (each client is a handle around shared state).
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub kms: aws_sdk_kms::Client,
    pub efs: aws_sdk_efs::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub elb: aws_sdk_elasticloadbalancing::Client,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Self {
        Clients {
            ec2: aws_sdk_ec2::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            efs: aws_sdk_efs::Client::new(config),
            autoscaling: aws_sdk_autoscaling::Client::new(config),
            elb: aws_sdk_elasticloadbalancing::Client::new(config),
        }
    }
}
