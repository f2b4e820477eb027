// A real OpenID Connect provider for the test suite (the certified `oidc-provider` package).
//
// Environment: PORT, REDIRECT_URIS and POST_LOGOUT_REDIRECT_URIS (comma-separated), CLIENT_SECRET,
// CLIENT_JWKS_FILE (the public key set of the client that authenticates by private_key_jwt).
// The login page lists the test citizens; "Annulla" cancels. `POST /__test/mode` with the body
// `normal`, `wrong_key` (ID tokens signed by a key the provider does not publish, under the
// published key's id), `expired` (ID tokens that expired an hour ago), `down` (every other
// request answers 503) or `token_down` (only the token endpoint does) changes how it behaves.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";

import * as jose from "jose";
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const list = (name) => (process.env[name] || "").split(",").filter(Boolean);

const CITIZENS = {
  "mario": { given_name: "Mario", family_name: "Rossi", email: "mario.rossi@example.it", email_verified: true,
             fiscal_number: "TINIT-RSSMRA80A01F839X" },
  "anna": { given_name: "Anna", family_name: "Bianchi", fiscal_number: "TINIT-BNCNNA85B41F839Y" },  // no e-mail
  "lucia": { given_name: "Lucia", family_name: "Verdi", email: "lucia.verdi@example.it", email_verified: true,
             fiscal_number: "TINIT-VRDLCU90C41F839Z" },
};

function signingKey() {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid: "signing-key", use: "sig", alg: "RS256" };
}
const publishedKey = signingKey();
const impostorKey = signingKey();  // the same key id, another key: a forged signature
let mode = "normal";

const clients = [{
  client_id: "portal", client_secret: process.env.CLIENT_SECRET || "portal-secret",
  token_endpoint_auth_method: "client_secret_basic",
}];
if (process.env.CLIENT_JWKS_FILE) {
  clients.push({ client_id: "portal-jwt", token_endpoint_auth_method: "private_key_jwt",
                 jwks: JSON.parse(fs.readFileSync(process.env.CLIENT_JWKS_FILE, "utf8")) });
}
for (const client of clients) {
  Object.assign(client, { redirect_uris: list("REDIRECT_URIS"), post_logout_redirect_uris: list("POST_LOGOUT_REDIRECT_URIS"),
                          grant_types: ["authorization_code"], response_types: ["code"] });
}

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [publishedKey] },
  pkce: { required: () => true },
  scopes: ["openid", "profile", "email", "fiscal"],
  claims: { openid: ["sub"], profile: ["given_name", "family_name"], email: ["email", "email_verified"],
            fiscal: ["fiscal_number"] },
  conformIdTokenClaims: false,  // the claims travel in the ID token, as identity gateways send them
  findAccount: async (ctx, id) => CITIZENS[id] && { accountId: id, claims: async () => ({ sub: id, ...CITIZENS[id] }) },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true, logoutSource: async (ctx, form) => {
      ctx.body = `<!doctype html><html><body>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Esci</button></body></html>`;
    } },
  },
  loadExistingGrant: async (ctx) => {  // every request of the test client is consented to
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
  ttl: { AuthorizationCode: 60, IdToken: 600, AccessToken: 600, Session: 3600, Interaction: 600, Grant: 3600 },
});
provider.proxy = false;

async function reissue(idToken, changes) {
  const claims = { ...jose.decodeJwt(idToken), ...changes };
  const key = await jose.importJWK(mode === "wrong_key" ? impostorKey : publishedKey, "RS256");
  return new jose.SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "signing-key", typ: "JWT" }).sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.path === "/__test/mode" && ctx.method === "POST") {
    mode = await new Promise((resolve) => { let body = ""; ctx.req.on("data", (c) => { body += c; }); ctx.req.on("end", () => resolve(body.trim())); });
    ctx.body = mode;
    return;
  }
  if (mode === "down" || (mode === "token_down" && ctx.path === "/token")) {
    ctx.status = 503;
    ctx.body = "unavailable";
    return;
  }
  await next();
  if (ctx.path === "/token" && ctx.status === 200 && ctx.body?.id_token && mode !== "normal") {
    const now = Math.floor(Date.now() / 1000);
    const changes = mode === "expired" ? { iat: now - 7200, exp: now - 3600 } : {};
    ctx.body = { ...ctx.body, id_token: await reissue(ctx.body.id_token, changes) };
  }
});

function page(body) {
  return `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Test IdP</title></head><body>${body}</body></html>`;
}

async function interaction(req, res) {
  const uid = req.url.split("/")[2];
  if (req.method === "GET") {
    const buttons = Object.keys(CITIZENS).map((id) => `<button type="submit" name="citizen" value="${id}">${id}</button>`).join("");
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(page(`<h1>Test IdP</h1><form method="post" action="/interaction/${uid}">${buttons}` +
                 `<button type="submit" name="citizen" value="">Annulla</button></form>`));
    return;
  }
  let body = "";
  for await (const chunk of req) body += chunk;
  const citizen = new URLSearchParams(body).get("citizen");
  const result = citizen
    ? { login: { accountId: citizen } }
    : { error: "access_denied", error_description: "End-User aborted interaction" };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith("/interaction/") && mode !== "down") {
    interaction(req, res).catch((error) => { res.statusCode = 500; res.end(String(error)); });
    return;
  }
  callback(req, res);
}).listen(port, "127.0.0.1", () => console.log(`listening ${issuer}`));
