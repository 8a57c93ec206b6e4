//! The network interfaces a deleted classic ELB leaves behind.
//!
//! DeleteLoadBalancer returns at once, but AWS releases the ELB's network interfaces (one per
//! subnet, described `ELB <name>`) asynchronously, and until they are gone they block deleting
//! the ELB's security groups and subnets, and so its VPC. Like Terraform's `aws_elb`, recon
//! counts them as part of the load balancer: its delete is not done while they remain.
//!
//! Each attempt detaches the interfaces still attached and deletes the detached ones, which
//! speeds AWS's own cleanup up, and answers `DependencyViolation` while any remain, so the
//! executor retries the delete (bounded by `--retry-for`) before it reads the load balancer as
//! gone and moves on to its security groups and subnets. A detach or delete AWS refuses is not
//! an error: AWS releases the interface itself, and the next attempt sees it gone.
//!
//! # Guarantees
//! Only interfaces the ELB service made are touched: described `ELB <name>` *and* requested
//! or attached by `amazon-elb`. An interface someone else created with that description is
//! ignored, neither waited for nor deleted.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{AttachmentStatus, Filter, NetworkInterface};
use recon_provider::{ErrorKind, ProviderError};
use tracing::debug;

use crate::errors;

/// The principal AWS names as the requester and attachment owner of a classic ELB's
/// interfaces.
const ELB_SERVICE: &str = "amazon-elb";

/// What one attempt does with one of the ELB's interfaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Release {
    /// Still attached to the (deleted) ELB: detach it (forced); it is deleted next time.
    Detach {
        interface: String,
        attachment: String,
    },
    /// Detached (or being detached by AWS): delete it.
    Delete { interface: String },
    /// Being attached or detached by AWS right now: wait.
    Wait { interface: String },
}

/// The description AWS gives every interface of the classic ELB `name`.
pub(crate) fn description(name: &str) -> String {
    format!("ELB {name}")
}

/// What to do with each interface described `ELB <name>`; interfaces the ELB service did not
/// make are left out.
pub(crate) fn plan(interfaces: &[NetworkInterface]) -> Vec<Release> {
    interfaces
        .iter()
        .filter(|i| made_by_elb(i))
        .filter_map(|i| {
            let interface = i.network_interface_id()?.to_owned();
            let attachment = i.attachment();
            Some(match attachment.and_then(|a| a.status()) {
                Some(AttachmentStatus::Attached) => {
                    match attachment.and_then(|a| a.attachment_id()) {
                        Some(id) => Release::Detach {
                            interface,
                            attachment: id.to_owned(),
                        },
                        None => Release::Wait { interface },
                    }
                }
                Some(AttachmentStatus::Attaching | AttachmentStatus::Detaching) => {
                    Release::Wait { interface }
                }
                _ => Release::Delete { interface },
            })
        })
        .collect()
}

fn made_by_elb(interface: &NetworkInterface) -> bool {
    interface.requester_id() == Some(ELB_SERVICE)
        || interface.attachment().and_then(|a| a.instance_owner_id()) == Some(ELB_SERVICE)
}

/// One attempt at releasing the interfaces of the deleted classic ELB `name`.
///
/// # Errors
/// `DependencyViolation` while any of its interfaces remains; an error of the describe itself.
pub(crate) async fn release(client: &Client, name: &str) -> Result<(), ProviderError> {
    let description = description(name);
    debug!(op = "DescribeNetworkInterfaces", description, "aws call");
    let interfaces: Vec<NetworkInterface> = client
        .describe_network_interfaces()
        .filters(
            Filter::builder()
                .name("description")
                .values(&description)
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeNetworkInterfaces", e))?;
    let mut remaining = Vec::new();
    for step in plan(&interfaces) {
        if let Some(left) = apply(client, step).await {
            remaining.push(left);
        }
    }
    if remaining.is_empty() {
        return Ok(());
    }
    Err(ProviderError::new(
        ErrorKind::DependencyViolation,
        format!(
            "load balancer {name} is deleted, but AWS has not yet released its network \
             interfaces {}",
            remaining.join(", ")
        ),
    ))
}

/// Carries out one step; the interface's id if it remains afterwards.
async fn apply(client: &Client, step: Release) -> Option<String> {
    match step {
        Release::Wait { interface } => Some(interface),
        Release::Detach {
            interface,
            attachment,
        } => {
            debug!(op = "DetachNetworkInterface", interface, "aws call");
            let out = client
                .detach_network_interface()
                .attachment_id(attachment)
                .force(true)
                .send()
                .await;
            if let Err(e) = out {
                // AWS may refuse a service's attachment; it detaches it itself.
                let e = errors::sdk("DetachNetworkInterface", e);
                debug!(interface, error = %e, "detach refused; waiting for AWS");
            }
            Some(interface)
        }
        Release::Delete { interface } => {
            debug!(op = "DeleteNetworkInterface", interface, "aws call");
            let out = client
                .delete_network_interface()
                .network_interface_id(&interface)
                .send()
                .await;
            match errors::gone_is_ok(out.map_err(|e| errors::sdk("DeleteNetworkInterface", e))) {
                Ok(()) => None,
                Err(e) => {
                    debug!(interface, error = %e, "delete refused; waiting for AWS");
                    Some(interface)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::{NetworkInterfaceAttachment, NetworkInterfaceStatus};

    use super::*;
    use crate::stub_server::{Reply, StubServer};

    fn interface(
        id: &str,
        requester: &str,
        attachment: Option<(&str, AttachmentStatus)>,
    ) -> NetworkInterface {
        let mut b = NetworkInterface::builder()
            .network_interface_id(id)
            .description("ELB web-front")
            .requester_id(requester)
            .status(if attachment.is_some() {
                NetworkInterfaceStatus::InUse
            } else {
                NetworkInterfaceStatus::Available
            });
        if let Some((attachment, status)) = attachment {
            b = b.attachment(
                NetworkInterfaceAttachment::builder()
                    .attachment_id(attachment)
                    .instance_owner_id(requester)
                    .status(status)
                    .build(),
            );
        }
        b.build()
    }

    #[test]
    fn attached_interfaces_are_detached_and_detached_ones_deleted() {
        let steps = plan(&[
            interface(
                "eni-1",
                ELB_SERVICE,
                Some(("eni-attach-1", AttachmentStatus::Attached)),
            ),
            interface("eni-2", ELB_SERVICE, None),
            interface(
                "eni-3",
                ELB_SERVICE,
                Some(("eni-attach-3", AttachmentStatus::Detaching)),
            ),
            interface(
                "eni-4",
                ELB_SERVICE,
                Some(("eni-attach-4", AttachmentStatus::Detached)),
            ),
        ]);
        assert_eq!(
            steps,
            [
                Release::Detach {
                    interface: "eni-1".into(),
                    attachment: "eni-attach-1".into()
                },
                Release::Delete {
                    interface: "eni-2".into()
                },
                Release::Wait {
                    interface: "eni-3".into()
                },
                Release::Delete {
                    interface: "eni-4".into()
                },
            ]
        );
    }

    #[test]
    fn interfaces_the_elb_service_did_not_make_are_left_alone() {
        let foreign = [
            interface("eni-5", "123456789012", None),
            interface(
                "eni-6",
                "123456789012",
                Some(("eni-attach-6", AttachmentStatus::Attached)),
            ),
        ];
        assert_eq!(plan(&foreign), []);
    }

    // ---- against the SDK: what AWS answers for a deleted ELB, which moto cannot show ----------

    const NS: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

    fn item(id: &str, requester: &str, attachment: Option<&str>) -> String {
        let (status, attachment) = match attachment {
            Some(a) => (
                "in-use",
                format!(
                    "<attachment><attachmentId>{a}</attachmentId>\
                     <instanceOwnerId>{requester}</instanceOwnerId><status>attached</status>\
                     </attachment>"
                ),
            ),
            None => ("available", String::new()),
        };
        format!(
            "<item><networkInterfaceId>{id}</networkInterfaceId>\
             <description>ELB web-front</description><requesterId>{requester}</requesterId>\
             <requesterManaged>true</requesterManaged><status>{status}</status>{attachment}</item>"
        )
    }

    fn described(items: &[String]) -> Reply {
        Reply {
            status: 200,
            action: "DescribeNetworkInterfaces",
            xml: format!(
                "<DescribeNetworkInterfacesResponse xmlns=\"{NS}\"><requestId>r</requestId>\
                 <networkInterfaceSet>{}</networkInterfaceSet>\
                 </DescribeNetworkInterfacesResponse>",
                items.concat()
            ),
        }
    }

    fn done(action: &'static str) -> Reply {
        Reply {
            status: 200,
            action,
            xml: format!(
                "<{action}Response xmlns=\"{NS}\"><requestId>r</requestId><return>true</return>\
                 </{action}Response>"
            ),
        }
    }

    /// First attempt: the attached interface is detached (forced), the detached one deleted,
    /// and the delete is not done. Second: the now detached one is deleted, and it is. An
    /// interface someone else made with the same description is never asked about.
    #[tokio::test]
    async fn release_detaches_then_deletes_and_is_done_only_when_none_remain() {
        let foreign = item("eni-3", "123456789012", None);
        let server = StubServer::start(vec![
            described(&[
                item("eni-1", ELB_SERVICE, Some("eni-attach-1")),
                item("eni-2", ELB_SERVICE, None),
                foreign.clone(),
            ]),
            done("DetachNetworkInterface"),
            done("DeleteNetworkInterface"),
            described(&[item("eni-1", ELB_SERVICE, None), foreign]),
            done("DeleteNetworkInterface"),
        ]);
        let client = server.ec2();

        let first = release(&client, "web-front").await.unwrap_err();
        assert_eq!(first.kind, ErrorKind::DependencyViolation, "{first}");
        assert!(
            first.message.ends_with("network interfaces eni-1"),
            "{first}"
        );
        release(&client, "web-front").await.unwrap();

        assert_eq!(server.unused(), 0);
        let asked = server.requests();
        let has = |i: usize, part: &str| server.asked(i, part);
        assert!(has(0, "Filter.1.Name=description") && has(0, "Filter.1.Value.1=ELB web-front"));
        assert!(has(1, "AttachmentId=eni-attach-1") && has(1, "Force=true"));
        assert!(has(2, "NetworkInterfaceId=eni-2"));
        assert!(has(4, "NetworkInterfaceId=eni-1"));
        assert!(!asked.iter().any(|r| r.contains("eni-3")), "{asked:?}");
    }

    /// AWS may refuse to detach a service's interface; recon then waits for AWS to do it.
    #[tokio::test]
    async fn a_refused_detach_is_waited_out_not_an_error() {
        let server = StubServer::start(vec![
            described(&[item("eni-1", ELB_SERVICE, Some("eni-attach-1"))]),
            Reply {
                status: 200,
                action: "Nothing",
                xml: String::new(),
            },
            described(&[]),
        ]);
        let client = server.ec2();
        let first = release(&client, "web-front").await.unwrap_err();
        assert_eq!(first.kind, ErrorKind::DependencyViolation, "{first}");
        release(&client, "web-front").await.unwrap();
        assert_eq!(server.unused(), 0);
    }
}
