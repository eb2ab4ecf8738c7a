// Runs through the JUnit test ConsumerClientsTest, which starts the daemon and the imitations and
// hands every address and file over in TK_TEST_* variables.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DaemonNotRunning, NeedsHuman, NotAllowed, TokenKeeper } from "../index.js";

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite through ConsumerClientsTest (./mvnw verify)`);
  return value;
}

const rig = {
  url: need("TK_TEST_URL"),
  adminTokenFile: need("TK_TEST_ADMIN_TOKEN_FILE"),
  consumerTokenFile: need("TK_TEST_NODE_CONSUMER_TOKEN_FILE"),
  tlsUrl: need("TK_TEST_TLS_URL"),
  tlsTokenFile: need("TK_TEST_TLS_TOKEN_FILE"),
  caFile: need("TK_TEST_CA_FILE"),
  unixUrl: need("TK_TEST_UNIX_URL"),
  unixTokenFile: need("TK_TEST_UNIX_TOKEN_FILE"),
  deadUrl: need("TK_TEST_DEAD_URL"),
  gazelleApi: need("TK_TEST_GAZELLE_API"),
  vintedApi: need("TK_TEST_VINTED_API"),
  control: need("TK_TEST_CONTROL"),
};

async function control(path, method = "POST") {
  const answer = await fetch(rig.control + path, { method });
  return answer.json();
}

const query = { method: "POST", body: JSON.stringify({ query: "{__typename}" }), headers: { "Content-Type": "application/json" } };

test("a token is served with its headers", async () => {
  const keeper = new TokenKeeper({ url: rig.url, tokenFile: rig.adminTokenFile });
  const token = await keeper.token("gazelle:node1");
  assert.ok(token);
  assert.deepEqual(await keeper.headers("gazelle:node1"), { Authorization: `Bearer ${token}` });
  assert.equal((await keeper.fetch("gazelle:node1", rig.gazelleApi, query)).status, 200);
  assert.ok(!String(keeper).includes(token));
});

test("a Vinted session comes as cookie headers", async () => {
  const keeper = new TokenKeeper({ url: rig.url, tokenFile: rig.adminTokenFile });
  const answer = await keeper.fetch("vinted:default", rig.vintedApi);
  assert.equal(answer.status, 200);
});

test("environment variables choose the daemon and the token", async () => {
  process.env.TOKENKEEPER_URL = rig.url;
  process.env.TOKENKEEPER_TOKEN_FILE = rig.consumerTokenFile;
  try {
    assert.ok(await new TokenKeeper().token("gazelle:node1"));
  } finally {
    delete process.env.TOKENKEEPER_URL;
    delete process.env.TOKENKEEPER_TOKEN_FILE;
  }
});

test("a rejected token is reported, refreshed once and the request retried once", async () => {
  const keeper = new TokenKeeper({ url: rig.url, tokenFile: rig.consumerTokenFile });
  const before = await keeper.token("gazelle:node1");
  await control("/gazelle/node1/revoke-access");
  const refreshes = await control("/gazelle/refreshes", "GET");
  const answer = await keeper.fetch("gazelle:node1", rig.gazelleApi, query);
  assert.equal(answer.status, 200);
  assert.equal(await control("/gazelle/refreshes", "GET"), refreshes + 1);
  assert.notEqual(await keeper.token("gazelle:node1"), before);
});

test("the retry happens once only", async () => {
  const keeper = new TokenKeeper({ url: rig.url, tokenFile: rig.adminTokenFile });
  await control("/later");
  const refreshes = await control("/gazelle/refreshes", "GET");
  const before = await control("/always-401/count", "GET");
  const answer = await keeper.fetch("gazelle:node401", `${rig.control}/always-401`);
  assert.equal(answer.status, 401);
  assert.equal(await control("/always-401/count", "GET"), before + 2);
  assert.equal(await control("/gazelle/refreshes", "GET"), refreshes + 1);
});

test("twenty concurrent requests meeting the 401 cause one refresh", async () => {
  const keeper = new TokenKeeper({ url: rig.url, tokenFile: rig.adminTokenFile });
  await keeper.token("gazelle:node20");
  await control("/gazelle/node20/revoke-access");
  const refreshes = await control("/gazelle/refreshes", "GET");
  const statuses = await Promise.all(Array.from({ length: 20 },
    () => keeper.fetch("gazelle:node20", rig.gazelleApi, query).then((r) => r.status)));
  assert.deepEqual(statuses, Array(20).fill(200));
  assert.equal(await control("/gazelle/refreshes", "GET"), refreshes + 1);
});

test("a scoped consumer asking for another credential gets NotAllowed", async () => {
  const keeper = new TokenKeeper({ url: rig.url, tokenFile: rig.consumerTokenFile });
  await assert.rejects(keeper.token("gazelle:node20"), (e) => e instanceof NotAllowed && e.status === 403
    && e.message.includes("consumer add"));
});

test("a daemon that is not running is said so within two seconds", async () => {
  const keeper = new TokenKeeper({ url: rig.deadUrl, tokenFile: rig.adminTokenFile });
  const started = Date.now();
  await assert.rejects(keeper.token("gazelle:node1"), (e) => e instanceof DaemonNotRunning
    && e.message.includes(rig.deadUrl) && e.message.includes("tokenkeeper run"));
  assert.ok(Date.now() - started < 2000);
});

test("TLS with a private CA", async () => {
  const keeper = new TokenKeeper({ url: rig.tlsUrl, tokenFile: rig.tlsTokenFile, caFile: rig.caFile });
  assert.ok(await keeper.token("gazelle:tls"));
});

test("the Unix socket", async () => {
  const keeper = new TokenKeeper({ url: rig.unixUrl, tokenFile: rig.unixTokenFile });
  assert.ok(await keeper.token("gazelle:unix"));
});

test("a credential that needs a person says what to run", async () => {
  const keeper = new TokenKeeper({ url: rig.url, tokenFile: rig.adminTokenFile });
  const token = await keeper.token("gazelle:nodedead");
  await control("/gazelle/nodedead/revoke-chain");
  await assert.rejects(keeper.rejected("gazelle:nodedead", token), (e) => e instanceof NeedsHuman && e.status === 409
    && e.command === "tokenkeeper authorize gazelle" && e.message.includes(e.command));
});
