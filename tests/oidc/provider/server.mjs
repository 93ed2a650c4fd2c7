// A real OpenID provider (node-oidc-provider) for the tests of nitro.auth.oidc.
//
// Started by tests/oidc/conftest.py: `node server.mjs` with PORT set. It prints
// "listening <issuer>" once it accepts connections.
//
// - Two confidential clients ("nitro-app" and "other-app", client_secret_basic) that
//   must use PKCE (S256). They are `native` clients with a loopback redirect URI, so any
//   port of http://127.0.0.1/auth/callback is accepted (RFC 8252, 7.3): the apps under
//   test listen on free ports chosen at run time.
// - Where each client may ask to be sent after a logout at the provider (RP-Initiated
//   Logout): http://127.0.0.1/logged-out, exactly.
// - One account, ann / ann-password, whose claims include Azure AD-style `roles`.
// - Its own login page (checking the password; oidc-provider's dev interactions take
//   any login); consent is implied for these first-party clients.
// - Scope claims go into the ID token (conformIdTokenClaims: false), as Azure AD,
//   Keycloak and Google do for their usual claims.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNTS = {
  ann: {
    password: 'ann-password',
    claims: {
      sub: 'ann',
      name: 'Ann Example',
      preferred_username: 'ann',
      email: 'ann@example.com',
      email_verified: true,
      roles: ['editor', 'reader'],
    },
  },
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };

function client(clientId) {
  return {
    client_id: clientId,
    client_secret: `${clientId}-secret-0123456789abcdef0123456789`,
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/auth/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1/logged-out'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

async function grantFor(clientId, accountId, grantId) {
  const existing = grantId ? await provider.Grant.find(grantId) : undefined;
  const grant = existing ?? new provider.Grant({ clientId, accountId });
  grant.addOIDCScope('openid profile email roles');
  await grant.save();
  return grant;
}

const provider = new Provider(issuer, {
  clients: [client('nitro-app'), client('other-app')],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'roles'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    roles: ['roles'],
  },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ ...account.claims }) };
  },
  // First-party clients: every scope is granted without a consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    return grantFor(ctx.oidc.client.clientId, ctx.oidc.session.accountId, grantId);
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>oops</title><h1>${out.error}</h1>`;
  },
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, message) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><h1>Sign in to the test provider</h1>
${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label>Login <input name="login" autocomplete="off" required></label>
  <label>Password <input name="password" type="password" required></label>
  <button type="submit">Sign in</button>
</form></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('unknown interaction');
  if (details.prompt.name !== 'login') {
    // Consent is implied for these first-party clients; native ones still need the
    // interaction to say so (oidc-provider's native_client_prompt).
    const grant = await grantFor(
      details.params.client_id, details.session.accountId, details.grantId,
    );
    await provider.interactionFinished(
      req, res, { consent: { grantId: grant.jti } }, { mergeWithLastSubmission: true },
    );
    return;
  }
  if (req.method === 'GET' && !action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(uid));
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const account = ACCOUNTS[form.get('login')];
    if (!account || account.password !== form.get('password')) {
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginPage(uid, 'Invalid login or password.'));
      return;
    }
    await provider.interactionFinished(
      req, res, { login: { accountId: form.get('login') } }, { mergeWithLastSubmission: false },
    );
    return;
  }
  res.writeHead(405);
  res.end();
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(\w+))?$/.exec(new URL(req.url, issuer).pathname);
  if (!match) {
    handle(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((err) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`interaction failed: ${err.message}`);
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
