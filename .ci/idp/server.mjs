// A company's identity provider and gateway on loopback, for .ci/idp.sh:
// oidc-provider (pinned by .ci/idp.sh) set up as a company would for a CLI
// (a public client `dealer-workshop-cli`, scopes `openid offline_access
// steps:read`, 30 s access tokens, rotating refresh tokens with reuse
// detection, device flow, PKCE, introspection, revocation), and a steps
// gateway that checks each bearer token by the provider's introspection
// (RFC 7662) before passing the call to a plain `stepwise serve`.
//
// usage: node server.mjs IDP_PORT GATEWAY_PORT UPSTREAM_PORT
import http from 'node:http';
import Provider from 'oidc-provider';

const [idpPort, gatewayPort, upstreamPort] = process.argv.slice(2).map(Number);
const issuer = `http://127.0.0.1:${idpPort}`;
const gateway = `http://127.0.0.1:${gatewayPort}`;
const gatewaySecret = 'ci-gateway-secret';

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'dealer-workshop-cli',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'authorization_code', 'refresh_token'],
      response_types: ['code'],
      // A native app's loopback redirect: any port (RFC 8252 §7.3).
      redirect_uris: ['http://127.0.0.1/callback'],
    },
    {
      client_id: 'steps-gateway',
      client_secret: gatewaySecret,
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  scopes: ['openid', 'offline_access', 'steps:read'],
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 30,
    RefreshToken: 24 * 3600,
    DeviceCode: 600,
    Interaction: 600,
    Session: 3600,
    Grant: 24 * 3600,
    AuthorizationCode: 60,
  },
});
provider.proxy = false;
for (const event of [
  'grant.success', 'grant.error', 'grant.revoked', 'refresh_token.consumed', 'refresh_token.saved',
  'device_authorization.success', 'device_authorization.error', 'authorization.error',
  'revocation.success', 'revocation.error',
]) {
  provider.on(event, (...args) => {
    const ctx = args.find((a) => a && a.oidc);
    const err = args.find((a) => a instanceof Error);
    const client = ctx?.oidc?.client?.clientId ?? '';
    console.log(`[idp] ${event} ${client}${err ? ` ${err.name}: ${err.message}` : ''}`);
  });
}
provider.listen(idpPort, '127.0.0.1');

async function active(token) {
  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`steps-gateway:${gatewaySecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  });
  const answer = await response.json();
  return answer.active === true && answer.client_id === 'dealer-workshop-cli';
}

http.createServer(async (req, res) => {
  if (req.url === '/.well-known/oauth-protected-resource') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      resource: gateway,
      authorization_servers: [issuer],
      scopes_supported: ['openid', 'offline_access', 'steps:read'],
      bearer_methods_supported: ['header'],
    }));
    return;
  }
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const ok = bearer ? await active(bearer).catch(() => false) : false;
  console.log(`[gw] ${req.method} ${req.url} -> ${ok ? 'forwarded' : '401'}`);
  if (!ok) {
    res.writeHead(401, {
      'content-type': 'application/json',
      'www-authenticate': `Bearer error="invalid_token", resource_metadata="${gateway}/.well-known/oauth-protected-resource"`,
    });
    res.end(JSON.stringify({ code: 401, message: 'a valid token is needed' }));
    return;
  }
  const headers = { ...req.headers };
  delete headers.authorization;
  const upstream = http.request(
    { host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => { res.writeHead(502); res.end(); });
  req.pipe(upstream);
}).listen(gatewayPort, '127.0.0.1');
console.log(`[ci] provider ${issuer}, gateway ${gateway} -> 127.0.0.1:${upstreamPort}`);
