//! A small AWS Backup endpoint for the binary's tests (moto has no recovery points). It keeps
//! vaults of recovery points and answers the four calls recon makes as AWS does (REST-JSON):
//! ListBackupVaults, ListRecoveryPointsByBackupVault, DescribeRecoveryPoint and
//! DeleteRecoveryPoint. A deleted point is `DELETING` for one describe, then not found.
//! recon reaches it through `AWS_ENDPOINT_URL_BACKUP`; every other service stays on moto.

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One recovery point, as AWS Backup describes it.
#[derive(Clone, Debug)]
pub struct Point {
    pub arn: String,
    pub resource_arn: String,
    /// Epoch seconds.
    pub created: i64,
    pub delete_after_days: i64,
    pub status: &'static str,
}

#[derive(Default)]
struct State {
    vaults: BTreeMap<String, Vec<Point>>,
    /// Every request, as `METHOD PATH`.
    requests: Vec<String>,
}

#[derive(Clone)]
pub struct BackupEndpoint {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl BackupEndpoint {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let endpoint = BackupEndpoint {
            url: format!("http://{}", listener.local_addr().unwrap()),
            state: Arc::default(),
        };
        let serving = endpoint.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let serving = serving.clone();
                std::thread::spawn(move || serving.serve(stream));
            }
        });
        endpoint
    }

    pub fn add(&self, vault: &str, point: Point) {
        let mut state = self.state.lock().unwrap();
        state
            .vaults
            .entry(vault.to_owned())
            .or_default()
            .push(point);
    }

    /// The ARNs of the points still in `vault` (deleting or not).
    pub fn points(&self, vault: &str) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state
            .vaults
            .get(vault)
            .map(|ps| ps.iter().map(|p| p.arn.clone()).collect())
            .unwrap_or_default()
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
        let mut writer = stream;
        while let Some((request_line, _)) = super::http::next_request(&mut reader) {
            let mut parts = request_line.split_whitespace();
            let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let path = target.split('?').next().unwrap_or("");
            let (status, error, reply) = self.answer(method, path);
            let error = error
                .map(|t| format!("x-amzn-errortype: {t}\r\n"))
                .unwrap_or_default();
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{error}content-length: {}\r\n\r\n{reply}",
                reply.len()
            );
            if writer.write_all(response.as_bytes()).is_err() {
                return;
            }
        }
    }

    fn answer(&self, method: &str, path: &str) -> (u16, Option<&'static str>, String) {
        let mut state = self.state.lock().unwrap();
        state.requests.push(format!("{method} {path}"));
        let segments: Vec<String> = path
            .trim_matches('/')
            .split('/')
            .map(percent_decode)
            .collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let not_found = || {
            (
                404,
                Some("ResourceNotFoundException"),
                r#"{"Message":"Recovery point not found"}"#.to_owned(),
            )
        };
        match (method, segments.as_slice()) {
            ("GET", ["backup-vaults"]) => {
                let list: Vec<String> = state
                    .vaults
                    .keys()
                    .map(|v| format!(r#"{{"BackupVaultName":"{v}"}}"#))
                    .collect();
                (
                    200,
                    None,
                    format!(r#"{{"BackupVaultList":[{}]}}"#, list.join(",")),
                )
            }
            ("GET", ["backup-vaults", vault, "recovery-points"]) => {
                let points: Vec<String> = state
                    .vaults
                    .get(*vault)
                    .into_iter()
                    .flatten()
                    .map(|p| describe(vault, p))
                    .collect();
                (
                    200,
                    None,
                    format!(r#"{{"RecoveryPoints":[{}]}}"#, points.join(",")),
                )
            }
            ("GET", ["backup-vaults", vault, "recovery-points", arn]) => {
                let Some(points) = state.vaults.get_mut(*vault) else {
                    return not_found();
                };
                let Some(i) = points.iter().position(|p| p.arn == *arn) else {
                    return not_found();
                };
                let body = describe(vault, &points[i]);
                // AWS shows a deleted point as DELETING for a while, then forgets it.
                if points[i].status == "DELETING" {
                    points.remove(i);
                }
                (200, None, body)
            }
            ("DELETE", ["backup-vaults", vault, "recovery-points", arn]) => {
                let Some(point) = state
                    .vaults
                    .get_mut(*vault)
                    .and_then(|ps| ps.iter_mut().find(|p| p.arn == *arn))
                else {
                    return not_found();
                };
                point.status = "DELETING";
                (200, None, String::new())
            }
            _ => (
                400,
                Some("UnknownOperationException"),
                format!(r#"{{"Message":"not scripted: {method} {path}"}}"#),
            ),
        }
    }
}

fn describe(vault: &str, p: &Point) -> String {
    format!(
        r#"{{"RecoveryPointArn":"{}","BackupVaultName":"{vault}","ResourceArn":"{}","ResourceType":"EFS","Status":"{}","CreationDate":{},"Lifecycle":{{"DeleteAfterDays":{}}},"CalculatedLifecycle":{{"DeleteAt":{}}}}}"#,
        p.arn,
        p.resource_arn,
        p.status,
        p.created,
        p.delete_after_days,
        p.created + p.delete_after_days * 86_400
    )
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
