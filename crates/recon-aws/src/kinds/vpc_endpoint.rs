//! `vpc_endpoint`: CreateVpcEndpoint (with the client token), ModifyVpcEndpoint for the route
//! tables, subnets, security groups, private DNS and policy, DeleteVpcEndpoints.
//!
//! The spec names an AWS service short (`s3`, `ecr.api`): create sends
//! `com.amazonaws.<region>.<name>` for the client's region and read turns that back into the
//! short name; a name that names a region itself (a PrivateLink service,
//! `com.amazonaws.vpce.<region>.vpce-svc-…`) is sent and reported whole. The policy is JSON in
//! AWS and a value tree in recon.
//!
//! States: `pending` (and `pendingAcceptance`), `available`, `deleting`; `failed`, `rejected`
//! and `expired` are failed (with AWS's last error in the `failure_message` output); a `deleted`
//! endpoint is reported as gone.
//!
//! moto: it lacks the `vpc-endpoint-id` filter (so batch reads ask by id, see [`read_many`]),
//! ignores `PrivateDnsEnabled` and `ResetPolicy` in ModifyVpcEndpoint, reports private DNS on
//! for gateway endpoints, and fails to delete an endpoint created without a type (recon always
//! sends one).

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{ResourceType, VpcEndpoint, VpcEndpointType};
use futures::future::try_join_all;
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, added_and_removed, known, not_in_place, optional_text, text, texts};
use crate::errors::{self, missing, unless_not_found};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeVpcEndpoints", environment, "aws call");
    let endpoints: Vec<VpcEndpoint> = client
        .describe_vpc_endpoints()
        .filters(tags::env_filter(environment))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeVpcEndpoints", e))?;
    let region = region(client);
    Ok(endpoints
        .iter()
        .filter(|e| tags::owned_by(e.tags(), environment))
        .filter_map(|e| to_found(e, region))
        .collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeVpcEndpoints", id, "aws call");
    let described = client
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await;
    let Some(out) =
        unless_not_found(described.map_err(|e| errors::sdk("DescribeVpcEndpoints", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .vpc_endpoints()
        .iter()
        .find(|e| e.vpc_endpoint_id() == Some(id))
        .and_then(|e| to_found(e, region(client))))
}

/// Many by id in one DescribeVpcEndpoints per [`super::IDS_PER_FILTER`] ids. AWS has a
/// `vpc-endpoint-id` filter, which would leave out a gone id, but moto does not implement it:
/// the ids go in `VpcEndpointIds`, where one gone id fails the call (rare: AWS keeps a deleted
/// endpoint visible for a while), and then each id of that batch is read alone.
pub(crate) async fn read_many(
    client: &Client,
    ids: &[String],
) -> Result<Vec<Found>, ProviderError> {
    let region = region(client);
    let mut found = Vec::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeVpcEndpoints", ids = chunk.len(), "aws call");
        let items: Result<Vec<VpcEndpoint>, _> = client
            .describe_vpc_endpoints()
            .set_vpc_endpoint_ids(Some(chunk.to_vec()))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        match items.map_err(|e| errors::sdk("DescribeVpcEndpoints", e)) {
            Ok(items) => found.extend(items.iter().filter_map(|e| to_found(e, region))),
            Err(e) if e.kind == ErrorKind::NotFound => {
                let each = try_join_all(chunk.iter().map(|id| read(client, id))).await?;
                found.extend(each.into_iter().flatten());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

// ---- create ------------------------------------------------------------------------------------

/// CreateVpcEndpoint with `ClientToken` = the request's token (a retried or re-run create
/// returns the endpoint the first one made) and the tags. Private DNS is sent only for an
/// interface endpoint that asks for it (AWS turns it on for AWS services by itself), the policy
/// only when given (AWS's default is full access).
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let attrs = request.attrs;
    for (field, value) in attrs {
        known(field, Some(value))?;
    }
    let vpc = text(attrs, "vpc")?;
    let service = full_service(text(attrs, "service")?, region(client));
    let endpoint_type = optional_text(attrs, "endpoint_type")?.unwrap_or("Gateway");
    let interface = endpoint_type == "Interface";
    let non_empty = |field: &str| texts(field, attrs.get(field)).map(some);
    let private_dns = match attrs.get("private_dns") {
        Some(v) if interface => Some(super::flag("private_dns", Some(v))?),
        _ => None,
    };
    let policy = attrs
        .get("policy")
        .map(|p| crate::policy::to_json("policy", p))
        .transpose()?;
    let tags = tags::wanted(attrs)?;
    debug!(
        op = "CreateVpcEndpoint",
        address = %request.address,
        vpc,
        service,
        endpoint_type,
        "aws call"
    );
    let out = client
        .create_vpc_endpoint()
        .vpc_id(vpc)
        .service_name(&service)
        // Always sent: moto cannot delete an endpoint created without a type.
        .vpc_endpoint_type(VpcEndpointType::from(endpoint_type))
        .set_route_table_ids(non_empty("route_tables")?)
        .set_subnet_ids(non_empty("subnets")?)
        .set_security_group_ids(non_empty("security_groups")?)
        .set_private_dns_enabled(private_dns)
        .set_policy_document(policy)
        .client_token(request.token)
        .tag_specifications(tags::spec(ResourceType::VpcEndpoint, &tags))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateVpcEndpoint", e))?;
    let endpoint = out
        .vpc_endpoint()
        .ok_or_else(|| missing("CreateVpcEndpoint", "a VPC endpoint"))?;
    to_found(endpoint, region(client))
        .ok_or_else(|| missing("CreateVpcEndpoint", "a VPC endpoint that is not deleted"))
}

// ---- update ------------------------------------------------------------------------------------

/// One ModifyVpcEndpoint for every field that changed (so the endpoint goes through one
/// modification, not one per field), then the tags.
pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let id = current.id.as_str();
    let mut modify = client.modify_vpc_endpoint().vpc_endpoint_id(id);
    let mut modified = false;
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        let before = current.attrs.get(&diff.field);
        match diff.field.as_str() {
            "route_tables" => {
                let (add, remove) = added_and_removed("route_tables", before, after)?;
                modify = modify
                    .set_add_route_table_ids(some(add))
                    .set_remove_route_table_ids(some(remove));
            }
            "subnets" => {
                let (add, remove) = added_and_removed("subnets", before, after)?;
                modify = modify
                    .set_add_subnet_ids(some(add))
                    .set_remove_subnet_ids(some(remove));
            }
            "security_groups" => {
                let (add, remove) = added_and_removed("security_groups", before, after)?;
                modify = modify
                    .set_add_security_group_ids(some(add))
                    .set_remove_security_group_ids(some(remove));
            }
            "private_dns" => {
                modify = modify.private_dns_enabled(super::flag("private_dns", after)?);
            }
            "policy" => {
                modify = match after {
                    Some(policy) => {
                        modify.policy_document(crate::policy::to_json("policy", policy)?)
                    }
                    // Back to AWS's default (full access).
                    None => modify.reset_policy(true),
                };
            }
            "tags" => {
                tags::update(client, id, current.attrs.get("tags"), after).await?;
                continue;
            }
            other => return Err(not_in_place(Kind::VpcEndpoint, other)),
        }
        modified = true;
    }
    if modified {
        debug!(op = "ModifyVpcEndpoint", id, "aws call");
        modify
            .send()
            .await
            .map_err(|e| errors::sdk("ModifyVpcEndpoint", e))?;
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteVpcEndpoints, unless it is already being deleted. Does not wait for `deleted`. The call
/// succeeds even when the endpoint could not be deleted: its `Unsuccessful` list says why.
/// Only the endpoint's own "not found" means gone (another one, such as a route of a gateway
/// endpoint that is missing, is an error).
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    if current.state == LiveState::Deleting {
        return Ok(());
    }
    let id = current.id.as_str();
    debug!(op = "DeleteVpcEndpoints", id, "aws call");
    let out = match client
        .delete_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            let e = errors::sdk("DeleteVpcEndpoints", e);
            return if endpoint_not_found(e.code.as_deref()) {
                Ok(())
            } else {
                Err(e)
            };
        }
    };
    let Some(error) = out.unsuccessful().iter().find_map(|u| u.error()) else {
        return Ok(());
    };
    if endpoint_not_found(error.code()) {
        return Ok(());
    }
    let code = error.code().unwrap_or("Unknown");
    Err(ProviderError::new(
        errors::classify(code),
        format!(
            "DeleteVpcEndpoints did not delete {id}: {}",
            error.message().unwrap_or(code)
        ),
    )
    .with_code(code))
}

/// `InvalidVpcEndpointId.NotFound` (and AWS's other spelling, `InvalidVpcEndpoint.NotFound`).
fn endpoint_not_found(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.starts_with("InvalidVpcEndpoint") && c.ends_with(".NotFound"))
}

// ---- mapping -----------------------------------------------------------------------------------

/// The client's region, for service names.
fn region(client: &Client) -> &str {
    client.config().region().map_or("", |r| r.as_ref())
}

/// Whether `service` names a region itself (a PrivateLink service, or an AWS service written
/// in full): then it is sent and reported whole.
fn names_a_region(service: &str) -> bool {
    service.split('.').any(recon_model::regions::is_known)
}

/// The name AWS takes: a short AWS service name in `region`, or the name as it is.
fn full_service(service: &str, region: &str) -> String {
    if names_a_region(service) {
        service.to_owned()
    } else {
        format!("com.amazonaws.{region}.{service}")
    }
}

/// The name the spec writes: `com.amazonaws.<region>.<name>` short, any other name whole.
fn short_service<'a>(service: &'a str, region: &str) -> &'a str {
    service
        .strip_prefix("com.amazonaws.")
        .and_then(|rest| rest.strip_prefix(region))
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|short| !region.is_empty() && !short.is_empty())
        .unwrap_or(service)
}

/// `None` once deleted. AWS (and moto) answer the states in lower camel case (`available`,
/// `pendingAcceptance`) where the SDK's enum expects `Available`: compared without case.
fn state(endpoint: &VpcEndpoint) -> Option<LiveState> {
    let state = endpoint.state().map(|s| s.as_str().to_ascii_lowercase());
    Some(match state.as_deref() {
        Some("deleted") => return None,
        Some("pending" | "pendingacceptance") => LiveState::Pending,
        Some("deleting") => LiveState::Deleting,
        // Still there (and to be deleted), but never going to work.
        Some("failed" | "rejected" | "expired") => LiveState::Failed,
        _ => LiveState::Available,
    })
}

/// A list for a call: none rather than an empty one.
fn some(ids: Vec<String>) -> Option<Vec<String>> {
    (!ids.is_empty()).then_some(ids)
}

fn sorted(ids: impl IntoIterator<Item = impl Into<String>>) -> Value {
    let mut ids: Vec<String> = ids.into_iter().map(Into::into).collect();
    ids.sort();
    Value::List(ids.into_iter().map(Value::String).collect())
}

/// `None` for a deleted endpoint.
fn to_found(endpoint: &VpcEndpoint, region: &str) -> Option<Found> {
    let state = state(endpoint)?;
    let endpoint_type = endpoint.vpc_endpoint_type();
    let mut attrs = Attrs::new();
    super::put(&mut attrs, "vpc", endpoint.vpc_id());
    super::put(
        &mut attrs,
        "service",
        endpoint.service_name().map(|s| short_service(s, region)),
    );
    super::put(
        &mut attrs,
        "endpoint_type",
        endpoint_type.map(VpcEndpointType::as_str),
    );
    attrs.insert(
        "route_tables".into(),
        sorted(endpoint.route_table_ids().iter().map(String::as_str)),
    );
    attrs.insert(
        "subnets".into(),
        sorted(endpoint.subnet_ids().iter().map(String::as_str)),
    );
    attrs.insert(
        "security_groups".into(),
        sorted(endpoint.groups().iter().filter_map(|g| g.group_id())),
    );
    // Only interface endpoints have private DNS; moto says it is on for gateway ones too.
    let interface = endpoint_type == Some(&VpcEndpointType::Interface);
    attrs.insert(
        "private_dns".into(),
        Value::Bool(interface && endpoint.private_dns_enabled().unwrap_or(false)),
    );
    if let Some(policy) = endpoint.policy_document() {
        attrs.insert(
            "policy".into(),
            crate::policy::read("a VPC endpoint policy", policy),
        );
    }
    attrs.insert("tags".into(), tags::to_value(endpoint.tags()));
    let mut found = Found::new(endpoint.vpc_endpoint_id().unwrap_or_default(), state, attrs);
    if state == LiveState::Failed {
        let error = endpoint.last_error();
        let message = error
            .and_then(|e| e.message().or(e.code()))
            .or(endpoint.failure_reason())
            .unwrap_or("failed");
        found
            .outputs
            .insert("failure_message".into(), Value::str(message));
    }
    Some(found)
}

// ---- the kind ----------------------------------------------------------------------------------

// `vpc_endpoint`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
super::aws_kind_calls!(VpcEndpoint, ec2, reads_many);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub_rest::{RestStub, Step};
    use aws_sdk_ec2::types::{LastError, SecurityGroupIdentifier, State};
    use recon_model::{Address, AttrDiff};

    /// moto ignores `PrivateDnsEnabled` and `ResetPolicy`: against a scripted EC2, turning
    /// private DNS on and removing the policy is one ModifyVpcEndpoint that says both.
    #[tokio::test]
    async fn private_dns_and_a_removed_policy_change_in_one_modify() {
        let stub = RestStub::start(vec![Step::ok(
            "Action=ModifyVpcEndpoint",
            "<ModifyVpcEndpointResponse><return>true</return></ModifyVpcEndpointResponse>",
        )]);
        let mut attrs = Attrs::new();
        attrs.insert("private_dns".into(), Value::Bool(false));
        attrs.insert("policy".into(), Value::Map(Default::default()));
        let current = Found::new("vpce-1", LiveState::Available, attrs);
        let live = current
            .clone()
            .with_address(Address::new(Kind::VpcEndpoint, "mirror"));
        let diffs = [
            AttrDiff {
                field: "private_dns".into(),
                before: Some(Value::Bool(false)),
                after: Some(Value::Bool(true)),
                forces_replacement: false,
            },
            AttrDiff {
                field: "policy".into(),
                before: Some(Value::Map(Default::default())),
                after: None,
                forces_replacement: false,
            },
        ];
        let request = UpdateRequest {
            live: &live,
            attrs: &live.attrs,
            diffs: &diffs,
        };
        update(&stub.clients().ec2, &current, &request)
            .await
            .expect("ModifyVpcEndpoint succeeds");
        let requests = stub.requests();
        assert_eq!(requests.len(), 1, "{requests:?}");
        for part in [
            "VpcEndpointId=vpce-1",
            "PrivateDnsEnabled=true",
            "ResetPolicy=true",
        ] {
            assert!(requests[0].contains(part), "{part}: {requests:?}");
        }
    }

    #[test]
    fn service_names_are_short_for_the_region_and_whole_otherwise() {
        assert_eq!(
            full_service("s3", "us-east-1"),
            "com.amazonaws.us-east-1.s3"
        );
        assert_eq!(
            full_service("ecr.api", "eu-west-1"),
            "com.amazonaws.eu-west-1.ecr.api"
        );
        let private_link = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0";
        assert_eq!(full_service(private_link, "us-east-1"), private_link);
        assert_eq!(short_service(private_link, "us-east-1"), private_link);
        assert_eq!(
            short_service("com.amazonaws.eu-west-1.ecr.api", "eu-west-1"),
            "ecr.api"
        );
        // Another region's service is not the spec's short name.
        assert_eq!(
            short_service("com.amazonaws.us-west-2.s3", "us-east-1"),
            "com.amazonaws.us-west-2.s3"
        );
        assert_eq!(
            short_service("com.amazonaws.us-east-1x.s3", "us-east-1"),
            "com.amazonaws.us-east-1x.s3"
        );
    }

    #[test]
    fn policies_are_value_trees() {
        let json = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": true}}}]}"#;
        let value = crate::policy::read("a VPC endpoint policy", json);
        let statement = &value.as_map().unwrap()["Statement"].as_list()[0];
        let statement = statement.as_map().unwrap();
        assert_eq!(
            statement["Action"],
            Value::List(vec![Value::str("s3:GetObject")])
        );
        assert_eq!(
            statement["Condition"].as_map().unwrap()["Bool"]
                .as_map()
                .unwrap()["aws:SecureTransport"],
            Value::Bool(true)
        );
        // What does not parse stays text.
        assert_eq!(
            crate::policy::read("a VPC endpoint policy", "{not json"),
            Value::str("{not json")
        );
    }

    fn endpoint(state: State) -> aws_sdk_ec2::types::builders::VpcEndpointBuilder {
        VpcEndpoint::builder()
            .vpc_endpoint_id("vpce-1")
            .vpc_id("vpc-1")
            .service_name("com.amazonaws.us-east-1.ssm")
            .vpc_endpoint_type(VpcEndpointType::Interface)
            .state(state)
            .subnet_ids("subnet-b")
            .subnet_ids("subnet-a")
            .groups(SecurityGroupIdentifier::builder().group_id("sg-2").build())
            .groups(SecurityGroupIdentifier::builder().group_id("sg-1").build())
            .private_dns_enabled(true)
    }

    #[test]
    fn states_map_sets_sort_and_deleted_is_gone() {
        let found = to_found(&endpoint(State::Available).build(), "us-east-1").unwrap();
        assert_eq!(found.state, LiveState::Available);
        assert_eq!(found.attrs["service"], Value::str("ssm"));
        assert_eq!(
            found.attrs["subnets"],
            Value::List(vec![Value::str("subnet-a"), Value::str("subnet-b")])
        );
        assert_eq!(
            found.attrs["security_groups"],
            Value::List(vec![Value::str("sg-1"), Value::str("sg-2")])
        );
        assert_eq!(found.attrs["private_dns"], Value::Bool(true));
        assert!(!found.attrs.contains_key("policy"));
        for (state, live) in [
            ("pending", LiveState::Pending),
            ("pendingAcceptance", LiveState::Pending),
            ("Pending", LiveState::Pending),
            ("deleting", LiveState::Deleting),
            ("available", LiveState::Available),
        ] {
            let found = to_found(&endpoint(State::from(state)).build(), "us-east-1").unwrap();
            assert_eq!(found.state, live, "{state}");
        }
        let rejected = to_found(
            &endpoint(State::from("rejected"))
                .last_error(
                    LastError::builder()
                        .code("Rejected")
                        .message("the service owner rejected the connection")
                        .build(),
                )
                .build(),
            "us-east-1",
        )
        .unwrap();
        assert_eq!(rejected.state, LiveState::Failed);
        assert_eq!(
            rejected.outputs["failure_message"],
            Value::str("the service owner rejected the connection")
        );
        assert!(to_found(&endpoint(State::from("deleted")).build(), "us-east-1").is_none());
        assert!(to_found(&endpoint(State::Deleted).build(), "us-east-1").is_none());
        // A gateway endpoint has no private DNS, whatever moto says.
        let gateway = endpoint(State::Available)
            .vpc_endpoint_type(VpcEndpointType::Gateway)
            .build();
        assert_eq!(
            to_found(&gateway, "us-east-1").unwrap().attrs["private_dns"],
            Value::Bool(false)
        );
    }
}
