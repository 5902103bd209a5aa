//! `authorizer: iam`: an unsigned handshake is 403; a SigV4 signature
//! (computed here, in the header or presigned in the query string) is
//! verified against the gateway's credentials (a wrong secret is 403);
//! without credentials a well-formed signature is accepted.

use std::time::SystemTime;

use sha2::Digest;

use super::authorizer::connect_with;
use super::*;
use crate::local::gateway::sigv4::{hex, hmac};
use crate::local::gateway::{Authorizer, Credentials, clock};

const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const REGION: &str = "eu-west-1";
const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn iam_api() -> Api {
    let mut api = chat_api();
    api.authorizer = Some(Authorizer::Iam);
    api
}

fn credentials() -> Option<Credentials> {
    Some(Credentials {
        access_key_id: KEY_ID.into(),
        secret_access_key: SECRET.into(),
    })
}

/// Now as `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`).
fn amz_now() -> String {
    let iso = clock::iso8601(SystemTime::now());
    let digits: String = iso[..19]
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    format!("{digits}Z")
}

/// The SigV4 signature of `canonical_request` (AWS's algorithm, step by step).
fn sign(secret: &str, service: &str, amz_date: &str, canonical_request: &str) -> String {
    let date = &amz_date[..8];
    let scope = format!("{date}/{REGION}/{service}/aws4_request");
    let hashed = hex(&sha2::Sha256::digest(canonical_request.as_bytes()));
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashed}");
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    for part in [REGION, service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    hex(&hmac(&key, to_sign.as_bytes()))
}

/// `Authorization` and `X-Amz-Date` for `GET /dev` at `server`.
fn signed_headers(server: &Server, secret: &str, service: &str) -> Vec<(&'static str, String)> {
    let amz_date = amz_now();
    let host = server.addr.to_string();
    let canonical =
        format!("GET\n/dev\n\nhost:{host}\nx-amz-date:{amz_date}\n\nhost;x-amz-date\n{EMPTY_HASH}");
    let signature = sign(secret, service, &amz_date, &canonical);
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={KEY_ID}/{}/{REGION}/{service}/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature={signature}",
        &amz_date[..8]
    );
    vec![("Authorization", authorization), ("X-Amz-Date", amz_date)]
}

/// `/dev?X-Amz-...` presigned (host only, `UNSIGNED-PAYLOAD`).
fn presigned_path(server: &Server, secret: &str) -> String {
    let amz_date = amz_now();
    let credential = format!(
        "{KEY_ID}%2F{}%2F{REGION}%2Fexecute-api%2Faws4_request",
        &amz_date[..8]
    );
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={amz_date}\
         &X-Amz-Expires=300&X-Amz-SignedHeaders=host"
    );
    let canonical = format!(
        "GET\n/dev\n{query}\nhost:{}\n\nhost\nUNSIGNED-PAYLOAD",
        server.addr
    );
    let signature = sign(secret, "execute-api", &amz_date, &canonical);
    format!("/dev?{query}&X-Amz-Signature={signature}")
}

async fn connect_signed(
    server: &Server,
    headers: &[(&'static str, String)],
) -> Result<Client, u16> {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    connect_with(server, "/dev", &headers).await
}

#[tokio::test]
async fn unsigned_is_403_and_a_signature_is_verified() {
    let server = Server::start(iam_api(), limits()).await;
    server.gateway.set_credentials(credentials());
    assert!(!server.gateway.iam_unverified());
    assert_eq!(connect_with(&server, "/dev", &[]).await.err(), Some(403));
    let wrong = signed_headers(&server, "not-the-secret", "execute-api");
    assert_eq!(connect_signed(&server, &wrong).await.err(), Some(403));
    assert!(server.fake.events("connect").is_empty());
    let good = signed_headers(&server, SECRET, "execute-api");
    let _client = connect_signed(&server, &good).await.unwrap();
    let connect = server.fake.wait("connect", 1).await.remove(0);
    assert_eq!(connect["requestContext"]["identity"]["accessKey"], KEY_ID);
    assert!(connect["requestContext"].get("authorizer").is_none());
    let logs = server.logs.lock().unwrap().clone();
    let statuses: Vec<u16> = logs.iter().map(|l| l.status).collect();
    assert_eq!(statuses, [403, 403, 200]);
    assert!(logs[1].error.as_deref().unwrap().contains("does not match"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_presigned_query_string_is_accepted() {
    let server = Server::start(iam_api(), limits()).await;
    server.gateway.set_credentials(credentials());
    let path = presigned_path(&server, SECRET);
    let mut client = connect_with(&server, &path, &[]).await.unwrap();
    send_text(&mut client, "hi").await;
    assert_eq!(next_text(&mut client).await, "hi");
    let wrong = presigned_path(&server, "not-the-secret");
    assert_eq!(connect_with(&server, &wrong, &[]).await.err(), Some(403));
    // The signature covers the query string.
    let tampered = path.replace("X-Amz-Expires=300", "X-Amz-Expires=301");
    assert_eq!(connect_with(&server, &tampered, &[]).await.err(), Some(403));
    server.fake.wait("connect", 1).await;
    server.shutdown().await;
}

#[tokio::test]
async fn without_credentials_a_well_formed_signature_is_accepted() {
    let server = Server::start(iam_api(), limits()).await;
    assert!(server.gateway.iam_unverified());
    assert_eq!(connect_with(&server, "/dev", &[]).await.err(), Some(403));
    let other_secret = signed_headers(&server, "anything", "execute-api");
    let _client = connect_signed(&server, &other_secret).await.unwrap();
    let _presigned = connect_with(&server, &presigned_path(&server, "x"), &[])
        .await
        .unwrap();
    // Well-formed means for execute-api.
    let s3 = signed_headers(&server, "anything", "s3");
    assert_eq!(connect_signed(&server, &s3).await.err(), Some(403));
    let garbage = [("Authorization", "AWS4-HMAC-SHA256 nonsense".to_string())];
    assert_eq!(connect_signed(&server, &garbage).await.err(), Some(403));
    server.fake.wait("connect", 2).await;
    let no_iam = Server::start(chat_api(), limits()).await;
    assert!(!no_iam.gateway.iam_unverified());
    no_iam.shutdown().await;
    server.shutdown().await;
}
