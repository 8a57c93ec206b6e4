//! Which VPC a resource belongs to, as far as its references tell: the scope within which AWS
//! orders work between kinds (a NAT gateway needs the internet gateway of its own VPC, not of
//! every VPC).

use std::collections::{BTreeMap, BTreeSet};

use recon_model::{Address, Kind};

/// The VPCs each address belongs to: itself for a VPC, otherwise the union of the scopes of what
/// it depends on (a NAT gateway → its subnet → its VPC). Empty when nothing ties it to a VPC
/// (an Elastic IP, a KMS key, or a resource whose VPC is not managed by the environment).
///
/// `depends_on` gives each address's direct dependencies; addresses it does not know have none.
pub fn vpc_scopes(
    depends_on: &BTreeMap<Address, BTreeSet<Address>>,
) -> BTreeMap<Address, BTreeSet<Address>> {
    let mut scopes: BTreeMap<Address, BTreeSet<Address>> = BTreeMap::new();
    for address in depends_on.keys() {
        scope_of(address, depends_on, &mut scopes, &mut BTreeSet::new());
    }
    scopes
}

fn scope_of(
    address: &Address,
    depends_on: &BTreeMap<Address, BTreeSet<Address>>,
    scopes: &mut BTreeMap<Address, BTreeSet<Address>>,
    visiting: &mut BTreeSet<Address>,
) -> BTreeSet<Address> {
    if let Some(s) = scopes.get(address) {
        return s.clone();
    }
    if address.kind == Kind::Vpc {
        let own = BTreeSet::from([address.clone()]);
        scopes.insert(address.clone(), own.clone());
        return own;
    }
    // A cycle cannot reach here from a valid spec; if one did, its members share no scope
    // through it, which only keeps more ordering edges (the safe side).
    if !visiting.insert(address.clone()) {
        return BTreeSet::new();
    }
    let mut scope = BTreeSet::new();
    for dep in depends_on.get(address).into_iter().flatten() {
        scope.extend(scope_of(dep, depends_on, scopes, visiting));
    }
    visiting.remove(address);
    scopes.insert(address.clone(), scope.clone());
    scope
}

/// Whether kind order applies between two resources: when they share a VPC, or when either's
/// VPC is unknown (then ordering them is the safe choice).
pub fn may_interact(a: &BTreeSet<Address>, b: &BTreeSet<Address>) -> bool {
    a.is_empty() || b.is_empty() || !a.is_disjoint(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn scopes_follow_dependencies_to_vpcs() {
        let deps = BTreeMap::from([
            (a("vpc.one"), BTreeSet::new()),
            (a("subnet.one"), BTreeSet::from([a("vpc.one")])),
            (
                a("nat_gateway.one"),
                BTreeSet::from([a("subnet.one"), a("elastic_ip.one")]),
            ),
            (a("elastic_ip.one"), BTreeSet::new()),
            (a("internet_gateway.two"), BTreeSet::from([a("vpc.two")])),
        ]);
        let scopes = vpc_scopes(&deps);
        assert_eq!(
            scopes[&a("nat_gateway.one")],
            BTreeSet::from([a("vpc.one")])
        );
        assert_eq!(
            scopes[&a("internet_gateway.two")],
            BTreeSet::from([a("vpc.two")])
        );
        assert!(scopes[&a("elastic_ip.one")].is_empty());
        assert!(!may_interact(
            &scopes[&a("nat_gateway.one")],
            &scopes[&a("internet_gateway.two")]
        ));
        assert!(may_interact(
            &scopes[&a("elastic_ip.one")],
            &scopes[&a("internet_gateway.two")]
        ));
    }
}
