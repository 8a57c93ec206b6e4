//! `route_table`: CreateRouteTable (with the client token), Create/Replace/DeleteRoute,
//! Associate/Disassociate/ReplaceRouteTableAssociation, DeleteRouteTable.
//!
//! `routes` holds every route but the VPC's `local` route and the routes the table was created
//! with: `{destination, internet_gateway}` or `{destination, nat_gateway}`, and
//! `{destination, other: <target id>}` for any other target (a peering connection, an instance,
//! an interface…), which no spec can ask for, so the diff shows it and the update removes it.
//! `subnets` are the subnets of the table's (non-main) associations; `main` says whether it holds
//! the VPC's main association.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    ResourceType, Route, RouteOrigin, RouteTable, RouteTableAssociation,
    RouteTableAssociationStateCode,
};
use recon_model::tags::ENV;
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, as_text, flag, gone, items, known, not_in_place, text};
use crate::errors::{self, gone_is_ok, invalid, missing, unless_not_found};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeRouteTables", environment, "aws call");
    let tables: Vec<RouteTable> = client
        .describe_route_tables()
        .filters(tags::env_filter(environment))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeRouteTables", e))?;
    Ok(tables.iter().map(to_found).collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    Ok(describe(client, id).await?.as_ref().map(to_found))
}

async fn describe(client: &Client, id: &str) -> Result<Option<RouteTable>, ProviderError> {
    debug!(op = "DescribeRouteTables", id, "aws call");
    let described = client
        .describe_route_tables()
        .route_table_ids(id)
        .send()
        .await;
    let Some(out) = unless_not_found(described.map_err(|e| errors::sdk("DescribeRouteTables", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .route_tables()
        .iter()
        .find(|t| t.route_table_id() == Some(id))
        .cloned())
}

/// Every route table of `vpc` (one paginated describe; a VPC has a handful).
async fn tables_of_vpc(client: &Client, vpc: &str) -> Result<Vec<RouteTable>, ProviderError> {
    debug!(op = "DescribeRouteTables", vpc, "aws call");
    client
        .describe_route_tables()
        .filters(tags::filter("vpc-id", &[vpc]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeRouteTables", e))
}

/// Many by id in one DescribeRouteTables per [`super::IDS_PER_FILTER`] ids, through a `route-table-id` filter: an id
/// that no longer exists is absent from the answer, not an error for the whole call.
pub(crate) async fn read_many(
    client: &Client,
    ids: &[String],
) -> Result<Vec<Found>, ProviderError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeRouteTables", ids = chunk.len(), "aws call");
        let items: Vec<RouteTable> = client
            .describe_route_tables()
            .filters(tags::id_filter("route-table-id", chunk))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("DescribeRouteTables", e))?;
        found.extend(items.iter().map(to_found));
    }
    Ok(found)
}

// ---- create ------------------------------------------------------------------------------------

/// CreateRouteTable with `ClientToken` = the request's token. A new table has only the local
/// route and no associations; the executor adds routes, subnets and `main` with [`update`].
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let vpc = text(request.attrs, "vpc")?;
    let tags = tags::wanted(request.attrs)?;
    debug!(op = "CreateRouteTable", address = %request.address, vpc, "aws call");
    let out = client
        .create_route_table()
        .vpc_id(vpc)
        .client_token(request.token)
        .tag_specifications(tags::spec(ResourceType::RouteTable, &tags))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateRouteTable", e))?;
    let table = out
        .route_table()
        .ok_or_else(|| missing("CreateRouteTable", "a route table"))?;
    Ok(to_found(table))
}

// ---- update ------------------------------------------------------------------------------------

/// `routes`: DeleteRoute for destinations no longer wanted, ReplaceRoute for changed targets,
/// CreateRoute for new destinations. `subnets`: DisassociateRouteTable for subnets no longer
/// wanted; for new ones AssociateRouteTable, or ReplaceRouteTableAssociation when the subnet is
/// associated with another table (AWS refuses a second association). `main`: moves the VPC's
/// main association here, or back to the VPC's own table. Tags.
///
/// `subnets` and `main` read the VPC's route tables once, for this table's association ids and
/// the other tables' associations, and make their associations all at once (each a call of its
/// own among `--parallelism`): a new table's four subnets cost two round trips, not six.
pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let id = current.id.as_str();
    let mut vpc_tables: Option<Vec<RouteTable>> = None;
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "routes" => {
                let have = items("routes", current.attrs.get("routes"))?;
                let want = items("routes", after)?;
                update_routes(client, id, have, want).await?;
            }
            "subnets" => {
                let want = items("subnets", after)?
                    .iter()
                    .map(|v| as_text("subnets", v).map(str::to_owned))
                    .collect::<Result<BTreeSet<_>, _>>()?;
                let tables = read_vpc_tables(client, current, &mut vpc_tables).await?;
                update_subnets(client, id, tables, &want).await?;
            }
            "main" => {
                let tables = read_vpc_tables(client, current, &mut vpc_tables).await?;
                let table = this_table(tables, id)?;
                if flag("main", after)? {
                    take_main(client, table, tables).await?;
                } else {
                    give_back_main(client, table, tables).await?;
                }
            }
            "tags" => tags::update(client, id, current.attrs.get("tags"), after).await?,
            other => return Err(not_in_place(Kind::RouteTable, other)),
        }
    }
    Ok(())
}

/// The route tables of `current`'s VPC, read once per update: `subnets` changes only subnet
/// associations, which `main` does not look at.
async fn read_vpc_tables<'a>(
    client: &Client,
    current: &Found,
    read: &'a mut Option<Vec<RouteTable>>,
) -> Result<&'a [RouteTable], ProviderError> {
    if read.is_none() {
        let vpc = text(&current.attrs, "vpc")?;
        *read = Some(tables_of_vpc(client, vpc).await?);
    }
    Ok(read.as_deref().unwrap_or_default())
}

/// `id` among its VPC's tables; gone when it is not there.
fn this_table<'a>(tables: &'a [RouteTable], id: &str) -> Result<&'a RouteTable, ProviderError> {
    tables
        .iter()
        .find(|t| t.route_table_id() == Some(id))
        .ok_or_else(|| gone(Kind::RouteTable, id))
}

/// Runs a step's independent calls at once (see `recon_provider::slot::concurrently`: each
/// is made when its slot is free); the first error once all have answered.
async fn all_of<F>(calls: impl IntoIterator<Item = impl FnOnce() -> F>) -> Result<(), ProviderError>
where
    F: Future<Output = Result<(), ProviderError>>,
{
    recon_provider::slot::concurrently(calls)
        .await
        .into_iter()
        .collect()
}

async fn update_routes(
    client: &Client,
    id: &str,
    have: &[Value],
    want: &[Value],
) -> Result<(), ProviderError> {
    let have: BTreeMap<String, Target> = have.iter().map(parse_route).collect::<Result<_, _>>()?;
    let want: BTreeMap<String, Target> = want.iter().map(parse_route).collect::<Result<_, _>>()?;
    if let Some((destination, target)) = want.iter().find(|(_, t)| matches!(t, Target::Other(_))) {
        return Err(invalid(format!(
            "route to {destination}: recon cannot create a route to {target:?}"
        )));
    }
    for destination in have.keys().filter(|d| !want.contains_key(*d)) {
        debug!(op = "DeleteRoute", id, destination, "aws call");
        let (v4, v6, prefix_list) = destination_parts(destination);
        let result = client
            .delete_route()
            .route_table_id(id)
            .set_destination_cidr_block(v4)
            .set_destination_ipv6_cidr_block(v6)
            .set_destination_prefix_list_id(prefix_list)
            .send()
            .await;
        gone_is_ok(result.map_err(|e| errors::sdk("DeleteRoute", e)))?;
    }
    for (destination, target) in &want {
        let (v4, v6, prefix_list) = destination_parts(destination);
        let (gateway, nat) = target.ids();
        match have.get(destination) {
            Some(existing) if existing == target => {}
            Some(_) => replace_route(client, id, destination, target).await?,
            None => {
                debug!(op = "CreateRoute", id, destination, ?target, "aws call");
                let created = client
                    .create_route()
                    .route_table_id(id)
                    .set_destination_cidr_block(v4)
                    .set_destination_ipv6_cidr_block(v6)
                    .set_destination_prefix_list_id(prefix_list)
                    .set_gateway_id(gateway)
                    .set_nat_gateway_id(nat)
                    .send()
                    .await
                    .map_err(|e| errors::sdk("CreateRoute", e));
                // A route for the destination exists already (the SDK's resend of a create
                // whose answer was lost, or a route added since the read): set its target.
                if let Err(e) = created {
                    if !errors::has_code(&e, "RouteAlreadyExists") {
                        return Err(e);
                    }
                    replace_route(client, id, destination, target).await?;
                }
            }
        }
    }
    Ok(())
}

/// ReplaceRoute: the route to `destination` goes to `target`.
async fn replace_route(
    client: &Client,
    id: &str,
    destination: &str,
    target: &Target,
) -> Result<(), ProviderError> {
    let (v4, v6, prefix_list) = destination_parts(destination);
    let (gateway, nat) = target.ids();
    debug!(op = "ReplaceRoute", id, destination, ?target, "aws call");
    client
        .replace_route()
        .route_table_id(id)
        .set_destination_cidr_block(v4)
        .set_destination_ipv6_cidr_block(v6)
        .set_destination_prefix_list_id(prefix_list)
        .set_gateway_id(gateway)
        .set_nat_gateway_id(nat)
        .send()
        .await
        .map_err(|e| errors::sdk("ReplaceRoute", e))?;
    Ok(())
}

async fn update_subnets(
    client: &Client,
    id: &str,
    tables: &[RouteTable],
    want: &BTreeSet<String>,
) -> Result<(), ProviderError> {
    let have: BTreeMap<&str, &str> = subnet_association_ids(this_table(tables, id)?).collect();
    all_of(
        have.iter()
            .filter(|(subnet, _)| !want.contains(**subnet))
            .map(|(_, association)| move || disassociate(client, association)),
    )
    .await?;
    // Where the new subnets are associated now (AWS refuses a second association; moto
    // silently keeps the first one).
    let elsewhere: BTreeMap<&str, &str> = tables
        .iter()
        .filter(|t| t.route_table_id() != Some(id))
        .flat_map(subnet_association_ids)
        .collect();
    let new = want
        .iter()
        .map(String::as_str)
        .filter(|s| !have.contains_key(s));
    let elsewhere = &elsewhere;
    all_of(new.map(|subnet| move || associate(client, id, subnet, elsewhere.get(subnet).copied())))
        .await
}

/// Associates `subnet` with table `id`: AssociateRouteTable, or ReplaceRouteTableAssociation
/// of its `current` association with another table.
async fn associate(
    client: &Client,
    id: &str,
    subnet: &str,
    current: Option<&str>,
) -> Result<(), ProviderError> {
    if let Some(association) = current {
        debug!(
            op = "ReplaceRouteTableAssociation",
            id, subnet, association, "aws call"
        );
        return replace_association(client, association, id).await;
    }
    debug!(op = "AssociateRouteTable", id, subnet, "aws call");
    client
        .associate_route_table()
        .route_table_id(id)
        .subnet_id(subnet)
        .send()
        .await
        .map_err(|e| errors::sdk("AssociateRouteTable", e))?;
    Ok(())
}

/// Moves the VPC's main association to `table` from the one of the VPC's `tables` that has it.
async fn take_main(
    client: &Client,
    table: &RouteTable,
    tables: &[RouteTable],
) -> Result<(), ProviderError> {
    let id = table.route_table_id().unwrap_or_default();
    if main_association(table).is_some() {
        return Ok(());
    }
    let vpc = table.vpc_id().unwrap_or_default();
    let association = tables
        .iter()
        .find_map(main_association)
        .and_then(|a| a.route_table_association_id())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::NotFound,
                format!("{vpc} has no main route table association to move to {id}"),
            )
        })?;
    debug!(
        op = "ReplaceRouteTableAssociation",
        id,
        association,
        main = true,
        "aws call"
    );
    replace_association(client, association, id).await
}

/// If `table` holds the VPC's main association, moves it to one of the VPC's `tables` that recon
/// does not own (no `recon:env` tag: the VPC's original main table). Fails when there is none:
/// AWS would refuse to delete the table, and recon will not pick a table another environment
/// owns.
async fn give_back_main(
    client: &Client,
    table: &RouteTable,
    tables: &[RouteTable],
) -> Result<(), ProviderError> {
    let Some(association) = main_association(table).and_then(|a| a.route_table_association_id())
    else {
        return Ok(());
    };
    let id = table.route_table_id().unwrap_or_default();
    let vpc = table.vpc_id().unwrap_or_default();
    let mut others: Vec<&RouteTable> = tables
        .iter()
        .filter(|t| t.route_table_id() != Some(id) && tags::get(t.tags(), ENV).is_none())
        .collect();
    others.sort_by(|a, b| a.route_table_id().cmp(&b.route_table_id()));
    let Some(fallback) = others.first().and_then(|t| t.route_table_id()) else {
        return Err(ProviderError::new(
            ErrorKind::Other,
            format!(
                "{id} is the main route table of {vpc}, and {vpc} has no route table without a \
                 `{ENV}` tag to give the main association back to; make another table of {vpc} \
                 the main one first"
            ),
        ));
    };
    debug!(
        op = "ReplaceRouteTableAssociation",
        id,
        association,
        to = fallback,
        "aws call"
    );
    replace_association(client, association, fallback).await
}

async fn replace_association(
    client: &Client,
    association: &str,
    table: &str,
) -> Result<(), ProviderError> {
    client
        .replace_route_table_association()
        .association_id(association)
        .route_table_id(table)
        .send()
        .await
        .map_err(|e| errors::sdk("ReplaceRouteTableAssociation", e))?;
    Ok(())
}

async fn disassociate(client: &Client, association: &str) -> Result<(), ProviderError> {
    debug!(op = "DisassociateRouteTable", association, "aws call");
    let result = client
        .disassociate_route_table()
        .association_id(association)
        .send()
        .await;
    gone_is_ok(result.map_err(|e| errors::sdk("DisassociateRouteTable", e)))
}

// ---- delete ------------------------------------------------------------------------------------

/// Gives the main association back (see [`give_back_main`]), removes every other association,
/// then DeleteRouteTable.
///
/// The associations are those of `current`, the read that checked ownership a moment ago: no
/// describe of its own unless the table holds the VPC's main association, which needs the
/// VPC's tables to give it back. An association made since makes DeleteRouteTable answer
/// `DependencyViolation`, and the retry reads the table again. The disassociations go at once,
/// each a call of its own.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    let id = current.id.as_str();
    let associations = if current.attrs.get("main") == Some(&Value::Bool(false)) {
        current.parts.clone()
    } else {
        let tables = tables_of_vpc(client, text(&current.attrs, "vpc")?).await?;
        // Gone already: nothing to delete.
        let Ok(table) = this_table(&tables, id) else {
            return Ok(());
        };
        give_back_main(client, table, &tables).await?;
        removable(table).map(str::to_owned).collect()
    };
    all_of(associations.iter().map(|a| move || disassociate(client, a))).await?;
    debug!(op = "DeleteRouteTable", id, "aws call");
    let result = client.delete_route_table().route_table_id(id).send().await;
    gone_is_ok(result.map_err(|e| errors::sdk("DeleteRouteTable", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

/// A route's target in recon's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    InternetGateway(String),
    NatGateway(String),
    /// Anything else: shown so that the update removes it.
    Other(String),
}

impl Target {
    fn key_and_id(&self) -> (&'static str, &str) {
        match self {
            Target::InternetGateway(id) => ("internet_gateway", id),
            Target::NatGateway(id) => ("nat_gateway", id),
            Target::Other(id) => ("other", id),
        }
    }

    /// `(GatewayId, NatGatewayId)` for CreateRoute and ReplaceRoute.
    fn ids(&self) -> (Option<String>, Option<String>) {
        match self {
            Target::InternetGateway(id) => (Some(id.clone()), None),
            Target::NatGateway(id) => (None, Some(id.clone())),
            Target::Other(_) => (None, None),
        }
    }
}

/// A destination as the one of CIDR, IPv6 CIDR or prefix list that it is.
fn destination_parts(destination: &str) -> (Option<String>, Option<String>, Option<String>) {
    let d = Some(destination.to_owned());
    if destination.starts_with("pl-") {
        (None, None, d)
    } else if destination.contains(':') {
        (None, d, None)
    } else {
        (d, None, None)
    }
}

/// The destination and target of a route recon shows, `None` for the routes it leaves out
/// (the local route, the routes the table was created with, and a gateway endpoint's route to
/// its service's prefix list, which belongs to the endpoint: `vpc_endpoint.route_tables`).
pub(crate) fn route_entry(route: &Route) -> Option<(String, Target)> {
    if route.origin() == Some(&RouteOrigin::CreateRouteTable)
        || route.gateway_id() == Some("local")
        || route.gateway_id().is_some_and(|g| g.starts_with("vpce-"))
    {
        return None;
    }
    let destination = route
        .destination_cidr_block()
        .or(route.destination_ipv6_cidr_block())
        .or(route.destination_prefix_list_id())?;
    let target = match (route.gateway_id(), route.nat_gateway_id()) {
        (_, Some(nat)) => Target::NatGateway(nat.to_owned()),
        (Some(igw), _) if igw.starts_with("igw-") => Target::InternetGateway(igw.to_owned()),
        (gateway, _) => Target::Other(
            gateway
                .or(route.egress_only_internet_gateway_id())
                .or(route.instance_id())
                .or(route.network_interface_id())
                .or(route.vpc_peering_connection_id())
                .or(route.transit_gateway_id())
                .or(route.local_gateway_id())
                .or(route.carrier_gateway_id())
                .or(route.core_network_arn())
                .unwrap_or("unknown")
                .to_owned(),
        ),
    };
    Some((destination.to_owned(), target))
}

pub(crate) fn route_value(destination: &str, target: &Target) -> Value {
    let (key, id) = target.key_and_id();
    Value::Map(
        [
            ("destination".to_owned(), Value::str(destination)),
            (key.to_owned(), Value::str(id)),
        ]
        .into(),
    )
}

/// A route map (wanted or live) back into destination and target.
fn parse_route(route: &Value) -> Result<(String, Target), ProviderError> {
    let map = route
        .as_map()
        .ok_or_else(|| invalid(format!("a route must be a map, got {route}")))?;
    let destination = map
        .get("destination")
        .ok_or_else(|| invalid(format!("route {route} has no destination")))?;
    let destination = as_text("destination", destination)?.to_owned();
    let mut targets = map.iter().filter(|(k, _)| k.as_str() != "destination");
    let target = match (targets.next(), targets.next()) {
        (Some((key, id)), None) => {
            let id = as_text(key, id)?.to_owned();
            match key.as_str() {
                "internet_gateway" => Target::InternetGateway(id),
                "nat_gateway" => Target::NatGateway(id),
                "other" => Target::Other(id),
                _ => return Err(invalid(format!("route {route}: unknown target `{key}`"))),
            }
        }
        _ => return Err(invalid(format!("route {route} needs exactly one target"))),
    };
    Ok((destination, target))
}

/// Associations that are in effect (or becoming so).
fn active(table: &RouteTable) -> impl Iterator<Item = &RouteTableAssociation> {
    table.associations().iter().filter(|a| {
        !matches!(
            a.association_state().and_then(|s| s.state()),
            Some(
                RouteTableAssociationStateCode::Disassociated
                    | RouteTableAssociationStateCode::Disassociating
                    | RouteTableAssociationStateCode::Failed
            )
        )
    })
}

fn subnet_associations(table: &RouteTable) -> impl Iterator<Item = &RouteTableAssociation> {
    active(table).filter(|a| a.main() != Some(true) && a.subnet_id().is_some())
}

/// `(subnet id, association id)` of each of `table`'s subnet associations.
fn subnet_association_ids(table: &RouteTable) -> impl Iterator<Item = (&str, &str)> {
    subnet_associations(table)
        .filter_map(|a| Some((a.subnet_id()?, a.route_table_association_id()?)))
}

/// The ids of the associations a delete removes: every active one but the main one (subnets'
/// and gateways').
fn removable(table: &RouteTable) -> impl Iterator<Item = &str> {
    active(table)
        .filter(|a| a.main() != Some(true))
        .filter_map(RouteTableAssociation::route_table_association_id)
}

fn main_association(table: &RouteTable) -> Option<&RouteTableAssociation> {
    active(table).find(|a| a.main() == Some(true))
}

pub(crate) fn to_found(table: &RouteTable) -> Found {
    let mut routes: Vec<Value> = table
        .routes()
        .iter()
        .filter_map(route_entry)
        .map(|(d, t)| route_value(&d, &t))
        .collect();
    routes.sort();
    let mut subnets: Vec<Value> = subnet_associations(table)
        .filter_map(|a| a.subnet_id())
        .map(Value::str)
        .collect();
    subnets.sort();
    subnets.dedup();
    let mut attrs = Attrs::new();
    super::put(&mut attrs, "vpc", table.vpc_id());
    attrs.insert("routes".into(), Value::List(routes));
    attrs.insert("subnets".into(), Value::List(subnets));
    attrs.insert(
        "main".into(),
        Value::Bool(main_association(table).is_some()),
    );
    attrs.insert("tags".into(), tags::to_value(table.tags()));
    let mut found = Found::new(
        table.route_table_id().unwrap_or_default(),
        LiveState::Available,
        attrs,
    );
    found.parts = removable(table).map(str::to_owned).collect();
    found
}

// ---- the kind ----------------------------------------------------------------------------------

// `route_table`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
// The create answer is a read: CreateRouteTable answers with the whole table (its local route, no associations).
super::aws_kind_calls!(
    RouteTable,
    ec2,
    reads_many,
    const CREATE_REPLY_IS_A_READ: bool = true;
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub_server::{Reply, StubServer};
    use aws_sdk_ec2::types::RouteTableAssociationState;
    use recon_model::{Address, AttrDiff};
    use std::time::Duration;

    /// A DescribeRouteTables answer: `(table id, [(association id, subnet id or "main")])`.
    fn vpc_tables(tables: &[(&str, &[(&str, &str)])]) -> Reply {
        let set: String = tables
            .iter()
            .map(|(id, associations)| {
                let items: String = associations
                    .iter()
                    .map(|(association, subnet)| {
                        let target = if *subnet == "main" {
                            "<main>true</main>".to_owned()
                        } else {
                            format!("<main>false</main><subnetId>{subnet}</subnetId>")
                        };
                        format!(
                            "<item><routeTableAssociationId>{association}</routeTableAssociationId>\
                             <routeTableId>{id}</routeTableId>{target}\
                             <associationState><state>associated</state></associationState></item>"
                        )
                    })
                    .collect();
                format!(
                    "<item><routeTableId>{id}</routeTableId><vpcId>vpc-1</vpcId>\
                     <associationSet>{items}</associationSet></item>"
                )
            })
            .collect();
        Reply {
            action: "DescribeRouteTables",
            status: 200,
            xml: format!(
                "<DescribeRouteTablesResponse><requestId>r</requestId>\
                 <routeTableSet>{set}</routeTableSet></DescribeRouteTablesResponse>"
            ),
        }
    }

    fn ok(action: &'static str) -> Reply {
        let xml = match action {
            "AssociateRouteTable" => {
                "<AssociateRouteTableResponse><associationId>rtbassoc-new\
                </associationId></AssociateRouteTableResponse>"
            }
            "ReplaceRouteTableAssociation" => {
                "<ReplaceRouteTableAssociationResponse>\
                <newAssociationId>rtbassoc-new</newAssociationId>\
                </ReplaceRouteTableAssociationResponse>"
            }
            _ => "<Response><return>true</return></Response>",
        };
        Reply {
            action,
            status: 200,
            xml: xml.to_owned(),
        }
    }

    /// Table rtb-1 of vpc-1 with `subnets` associated (`(association, subnet)`), asked to have
    /// `want`.
    async fn update_subnets_of(stub: &StubServer, subnets: &[(&str, &str)], want: &[&str]) {
        let table = RouteTable::builder()
            .route_table_id("rtb-1")
            .vpc_id("vpc-1")
            .set_associations(Some(
                subnets
                    .iter()
                    .map(|(association, subnet)| {
                        RouteTableAssociation::builder()
                            .main(false)
                            .subnet_id(*subnet)
                            .route_table_association_id(*association)
                            .build()
                    })
                    .collect(),
            ))
            .build();
        let current = to_found(&table);
        let live = current
            .clone()
            .with_address(Address::new(Kind::RouteTable, "private"));
        let diffs = [AttrDiff {
            field: "subnets".into(),
            before: current.attrs.get("subnets").cloned(),
            after: Some(Value::List(want.iter().map(|s| Value::str(*s)).collect())),
            forces_replacement: false,
        }];
        let request = UpdateRequest {
            live: &live,
            attrs: &live.attrs,
            diffs: &diffs,
        };
        update(&stub.ec2(), &current, &request)
            .await
            .expect("the associations are made");
        assert_eq!(stub.unused(), 0, "{:?}", stub.requests());
    }

    /// A new table's four subnets: one read of the VPC's tables (for the association ids, this
    /// table's and the others'), then the four associations at once, not one after another.
    #[tokio::test]
    async fn a_tables_subnets_are_associated_at_once_after_one_read() {
        let stub = StubServer::start(vec![
            vpc_tables(&[("rtb-1", &[]), ("rtb-main", &[("rtbassoc-m", "main")])]),
            ok("AssociateRouteTable"),
            ok("AssociateRouteTable"),
            ok("AssociateRouteTable"),
            ok("AssociateRouteTable"),
        ]);
        for answer in 1..=4 {
            stub.delay(answer, Duration::from_millis(300));
        }
        update_subnets_of(
            &stub,
            &[],
            &["subnet-1", "subnet-2", "subnet-3", "subnet-4"],
        )
        .await;
        let requests = stub.requests();
        assert!(stub.asked(0, "Filter.1.Name=vpc-id"), "{requests:?}");
        assert!(stub.asked(0, "Filter.1.Value.1=vpc-1"), "{requests:?}");
        assert!(
            !requests[0].contains("Filter.2"),
            "one filter: {requests:?}"
        );
        let mut associated: Vec<&str> = requests[1..]
            .iter()
            .filter_map(|r| r.split('&').find_map(|p| p.strip_prefix("SubnetId=")))
            .collect();
        associated.sort();
        assert_eq!(associated, ["subnet-1", "subnet-2", "subnet-3", "subnet-4"]);
        assert_eq!(
            stub.most_in_flight(),
            4,
            "the associations wait for none other"
        );
    }

    /// A subnet of another table is moved with that association, a subnet no longer wanted is
    /// disassociated, and one already associated is left alone: three requests.
    #[tokio::test]
    async fn a_subnet_of_another_table_is_moved_and_an_unwanted_one_let_go() {
        let stub = StubServer::start(vec![
            vpc_tables(&[
                (
                    "rtb-1",
                    &[("rtbassoc-1", "subnet-1"), ("rtbassoc-3", "subnet-3")],
                ),
                ("rtb-other", &[("rtbassoc-9", "subnet-2")]),
            ]),
            ok("DisassociateRouteTable"),
            ok("ReplaceRouteTableAssociation"),
        ]);
        update_subnets_of(
            &stub,
            &[("rtbassoc-1", "subnet-1"), ("rtbassoc-3", "subnet-3")],
            &["subnet-1", "subnet-2"],
        )
        .await;
        assert!(stub.asked(1, "AssociationId=rtbassoc-3"));
        assert!(stub.asked(2, "AssociationId=rtbassoc-9"));
        assert!(stub.asked(2, "RouteTableId=rtb-1"));
    }

    #[test]
    fn routes_and_associations_map_to_attrs() {
        let table = RouteTable::builder()
            .route_table_id("rtb-1")
            .vpc_id("vpc-1")
            .routes(
                Route::builder()
                    .destination_cidr_block("10.0.0.0/16")
                    .gateway_id("local")
                    .origin(RouteOrigin::CreateRouteTable)
                    .build(),
            )
            .routes(
                Route::builder()
                    .destination_cidr_block("0.0.0.0/0")
                    .gateway_id("igw-1")
                    .origin(RouteOrigin::CreateRoute)
                    .build(),
            )
            .routes(
                Route::builder()
                    .destination_cidr_block("10.1.0.0/16")
                    .nat_gateway_id("nat-1")
                    .origin(RouteOrigin::CreateRoute)
                    .build(),
            )
            .routes(
                Route::builder()
                    .destination_cidr_block("10.2.0.0/16")
                    .vpc_peering_connection_id("pcx-1")
                    .origin(RouteOrigin::CreateRoute)
                    .build(),
            )
            .associations(
                RouteTableAssociation::builder()
                    .main(false)
                    .subnet_id("subnet-2")
                    .route_table_association_id("rtbassoc-2")
                    .build(),
            )
            .associations(
                RouteTableAssociation::builder()
                    .main(false)
                    .subnet_id("subnet-1")
                    .route_table_association_id("rtbassoc-1")
                    .build(),
            )
            .associations(
                RouteTableAssociation::builder()
                    .main(false)
                    .subnet_id("subnet-3")
                    .association_state(
                        RouteTableAssociationState::builder()
                            .state(RouteTableAssociationStateCode::Disassociated)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let found = to_found(&table);
        let route = |d: &str, k: &str, id: &str| {
            Value::Map(
                [
                    ("destination".to_owned(), Value::str(d)),
                    (k.to_owned(), Value::str(id)),
                ]
                .into(),
            )
        };
        assert_eq!(
            found.attrs["routes"],
            Value::List(vec![
                route("0.0.0.0/0", "internet_gateway", "igw-1"),
                route("10.1.0.0/16", "nat_gateway", "nat-1"),
                route("10.2.0.0/16", "other", "pcx-1"),
            ])
        );
        assert_eq!(
            found.attrs["subnets"],
            Value::List(vec![Value::str("subnet-1"), Value::str("subnet-2")])
        );
        assert_eq!(found.attrs["main"], Value::Bool(false));
        for r in found.attrs["routes"].as_list() {
            let (d, t) = parse_route(r).unwrap();
            assert_eq!(&route_value(&d, &t), r);
        }
    }
}
