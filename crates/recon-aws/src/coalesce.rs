//! Reads by id coalesced per kind: while one describe of a kind is in flight, every other read
//! of that kind waits, and the next describe asks for all of them at once. An apply that
//! creates 400 subnets, 10 at a time, reads them back in a few dozen DescribeSubnets, not 400;
//! the same for the reads before a delete and the polls of a wait.
//!
//! Only kinds whose `read_many` is one call for many ids are coalesced (see
//! `AwsKind::READS_MANY_IN_ONE_CALL`); the others read one id per call, as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use recon_model::Kind;
use recon_provider::ProviderError;
use tokio::sync::oneshot;

use crate::clients::Clients;
use crate::kinds::{Found, IDS_PER_FILTER};
use crate::registry;

type Answer = Result<Option<Found>, ProviderError>;

/// The reads waiting for each kind, and whether a describe of it is in flight.
#[derive(Default)]
struct Queue {
    waiting: Vec<(String, oneshot::Sender<Answer>)>,
    busy: bool,
}

/// Coalesces concurrent reads by id. Cheap to clone: clones share the queues.
///
/// # Guarantees
/// - A read sees the resource as a describe sent after the read was asked for reports it.
/// - One describe per kind in flight at a time, of at most [`IDS_PER_FILTER`] ids; a read
///   alone is the kind's single-id read, as without coalescing.
/// - A failed describe fails every read it answered, and only those.
/// - The describes run on their own task: a caller that stops waiting (Ctrl-C, a timeout)
///   never strands the others.
#[derive(Clone, Default)]
pub(crate) struct Coalescer {
    queues: Arc<Mutex<HashMap<Kind, Queue>>>,
}

impl std::fmt::Debug for Coalescer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Coalescer")
    }
}

impl Coalescer {
    /// `kind`'s resource `id`, `None` once gone.
    pub(crate) async fn read(&self, clients: &Clients, kind: Kind, id: &str) -> Answer {
        if !registry::reads_many_in_one_call(kind) {
            return registry::read(clients, kind, id).await;
        }
        let (tx, rx) = oneshot::channel();
        let lead = {
            let mut queues = self
                .queues
                .lock()
                .expect("never poisoned: no panics inside");
            let queue = queues.entry(kind).or_default();
            queue.waiting.push((id.to_owned(), tx));
            !std::mem::replace(&mut queue.busy, true)
        };
        if lead {
            tokio::spawn(self.clone().drain(clients.clone(), kind));
        }
        rx.await.unwrap_or_else(|_| {
            Err(ProviderError::new(
                recon_provider::ErrorKind::Other,
                "a read was dropped before its answer",
            ))
        })
    }

    /// Describes what is waiting for `kind`, batch after batch, until nothing is.
    async fn drain(self, clients: Clients, kind: Kind) {
        loop {
            let batch: Vec<(String, oneshot::Sender<Answer>)> = {
                let mut queues = self
                    .queues
                    .lock()
                    .expect("never poisoned: no panics inside");
                let queue = queues.entry(kind).or_default();
                if queue.waiting.is_empty() {
                    queue.busy = false;
                    return;
                }
                let take = queue.waiting.len().min(IDS_PER_FILTER);
                queue.waiting.drain(..take).collect()
            };
            let mut ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
            ids.sort();
            ids.dedup();
            let result = if let [id] = ids.as_slice() {
                registry::read(&clients, kind, id)
                    .await
                    .map(|f| f.into_iter().collect::<Vec<_>>())
            } else {
                registry::read_many(&clients, kind, &ids).await
            };
            answer(batch, result);
        }
    }
}

/// Hands each waiting read its resource from `result` (or a copy of its error).
fn answer(
    batch: Vec<(String, oneshot::Sender<Answer>)>,
    result: Result<Vec<Found>, ProviderError>,
) {
    match result {
        Ok(found) => {
            for (id, tx) in batch {
                let _ = tx.send(Ok(found.iter().find(|f| f.id == id).cloned()));
            }
        }
        Err(error) => {
            let mut batch = batch.into_iter();
            let first = batch.next();
            for (_, tx) in batch {
                let _ = tx.send(Err(copy(&error)));
            }
            if let Some((_, tx)) = first {
                let _ = tx.send(Err(error));
            }
        }
    }
}

/// The same error for another read (its source chain is the original's alone).
fn copy(error: &ProviderError) -> ProviderError {
    ProviderError {
        kind: error.kind,
        code: error.code.clone(),
        message: error.message.clone(),
        fault: error.fault.clone(),
        source: None,
    }
}

#[cfg(test)]
mod tests {
    //! The calls made, counted on the scripted endpoint: a per-resource read must not come
    //! back unnoticed.

    use recon_model::Kind;

    use super::Coalescer;
    use crate::clients::Clients;
    use crate::stub_server::{Reply, StubServer};

    fn clients(stub: &StubServer) -> Clients {
        Clients::new(&crate::stub_server::config(&stub.endpoint))
    }

    fn subnet(id: &str) -> String {
        format!(
            "<item><subnetId>{id}</subnetId><vpcId>vpc-1</vpcId><cidrBlock>10.0.1.0/24</cidrBlock>\
             <availabilityZone>us-east-1a</availabilityZone><state>available</state>\
             <mapPublicIpOnLaunch>false</mapPublicIpOnLaunch><tagSet><item><key>recon:env</key>\
             <value>irb</value></item><item><key>recon:id</key><value>subnet.{id}</value></item>\
             </tagSet></item>"
        )
    }

    fn subnets(ids: &[&str]) -> Reply {
        Reply {
            action: "DescribeSubnets",
            status: 200,
            xml: format!(
                "<DescribeSubnetsResponse><requestId>r</requestId><subnetSet>{}</subnetSet></DescribeSubnetsResponse>",
                ids.iter().map(|id| subnet(id)).collect::<String>()
            ),
        }
    }

    #[tokio::test]
    async fn concurrent_reads_of_a_kind_are_one_describe_and_a_missing_id_is_none() {
        let stub = StubServer::start(vec![subnets(&["subnet-a", "subnet-b", "subnet-c"])]);
        let c = clients(&stub);
        let reads = Coalescer::default();
        let ids = ["subnet-a", "subnet-b", "subnet-c", "subnet-gone"];
        let found =
            futures::future::join_all(ids.iter().map(|id| reads.read(&c, Kind::Subnet, id))).await;
        let found: Vec<Option<String>> = found
            .into_iter()
            .map(|r| r.unwrap().map(|f| f.id))
            .collect();
        assert_eq!(
            found,
            [
                Some("subnet-a".to_owned()),
                Some("subnet-b".to_owned()),
                Some("subnet-c".to_owned()),
                None
            ]
        );
        assert_eq!(stub.requests().len(), 1, "one describe for four reads");
        assert!(stub.asked(0, "Filter.1.Name=subnet-id"));
        assert!(stub.asked(0, "Filter.1.Value.4=subnet-gone"));
    }

    #[tokio::test]
    async fn a_read_alone_is_the_single_id_describe() {
        let stub = StubServer::start(vec![subnets(&["subnet-a"])]);
        let c = clients(&stub);
        let found = Coalescer::default()
            .read(&c, Kind::Subnet, "subnet-a")
            .await
            .unwrap();
        assert_eq!(found.map(|f| f.id).as_deref(), Some("subnet-a"));
        assert_eq!(stub.requests().len(), 1);
        assert!(stub.asked(0, "SubnetId.1=subnet-a"));
    }

    #[tokio::test]
    async fn a_failed_describe_fails_each_read_it_answered() {
        let stub = StubServer::start(vec![Reply::error(
            "DescribeSubnets",
            400,
            "UnauthorizedOperation",
        )]);
        let c = clients(&stub);
        let reads = Coalescer::default();
        let found = futures::future::join_all(
            ["subnet-a", "subnet-b"]
                .iter()
                .map(|id| reads.read(&c, Kind::Subnet, id)),
        )
        .await;
        assert!(found.iter().all(Result::is_err));
        assert_eq!(stub.requests().len(), 1);
    }
}
