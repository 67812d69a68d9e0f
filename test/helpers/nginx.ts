import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/db/embedded-postgres';

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

export function nginxAvailable(): boolean {
  return existsSync(NGINX_BIN);
}

export { freePort };

export interface UpstreamHit {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A tiny upstream that answers every request with the request's own headers, as JSON. */
export async function startEchoUpstream(): Promise<{
  port: number;
  hits: UpstreamHit[];
  close(): Promise<void>;
}> {
  const hits: UpstreamHit[] = [];
  const server = http.createServer((req, res) => {
    const hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    hits.push(hit);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(hit));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RunningNginx {
  url: string;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The nginx configuration of the gateway example in docs/api-keys.md: every request to `/` is first sent
 * (without its body) to the service's /v1/authorize by `auth_request`; only a 2xx lets it through,
 * and the team, key and scopes the service answered with are handed to the upstream.
 * `/admin/` additionally requires the `orders:write` scope. `/empress/` is the service itself
 * behind the proxy (its GraphQL API at /empress/graphql). Either way nginx sets X-Forwarded-For to
 * the address that connected to it, which the service believes only when TRUST_PROXY names nginx.
 */
export function nginxConf(options: {
  dir: string;
  port: number;
  servicePort: number;
  upstreamPort: number;
}): string {
  const { dir, port, servicePort, upstreamPort } = options;
  const authLocation = (name: string, requiredScopes: string | null) => `
    location = ${name} {
      internal;
      proxy_pass http://127.0.0.1:${servicePort}/v1/authorize;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Forwarded-Method $request_method;
      ${requiredScopes ? `proxy_set_header X-Required-Scopes "${requiredScopes}";` : ''}
    }`;
  const protectedLocation = (prefix: string, auth: string) => `
    location ${prefix} {
      auth_request ${auth};
      auth_request_set $empress_team $upstream_http_x_empress_team_id;
      auth_request_set $empress_key $upstream_http_x_empress_key_id;
      auth_request_set $empress_scopes $upstream_http_x_empress_scopes;
      auth_request_set $empress_retry_after $upstream_http_retry_after;
      auth_request_set $empress_ratelimit $upstream_http_ratelimit;
      auth_request_set $empress_ratelimit_policy $upstream_http_ratelimit_policy;
      auth_request_set $empress_credits $upstream_http_x_empress_credits_remaining;
      auth_request_set $empress_code $upstream_http_x_empress_code;
      # auth_request passes only 2xx, 401 and 403: any other answer, the service's 429 too, is a 500
      error_page 500 = @empress_rate_limited;
      proxy_set_header X-Empress-Team-Id $empress_team;
      proxy_set_header X-Empress-Key-Id $empress_key;
      proxy_set_header X-Empress-Scopes $empress_scopes;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }`;
  return nginxFrame(
    dir,
    64,
    `
  server {
    listen 127.0.0.1:${port};
    ${authLocation('/_auth', null)}
    ${authLocation('/_auth_write', 'orders:write')}
    location /empress/ {
      proxy_pass http://127.0.0.1:${servicePort}/;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
    location @empress_rate_limited {
      if ($empress_code = "") { return 500; }
      add_header Retry-After $empress_retry_after always;
      add_header RateLimit $empress_ratelimit always;
      add_header RateLimit-Policy $empress_ratelimit_policy always;
      add_header X-Empress-Credits-Remaining $empress_credits always;
      default_type application/json;
      return 429 '{"code":"$empress_code"}';
    }
    ${protectedLocation('/admin/', '/_auth_write')}
    ${protectedLocation('/', '/_auth')}
  }`,
  );
}

/**
 * An nginx that runs as a child of this process in a folder of its own (no daemon, no master,
 * every temporary path inside `dir`), around the `http` block's own lines.
 */
export function nginxFrame(dir: string, workerConnections: number, http: string): string {
  return `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
}
`;
}

/**
 * nginx as a child of this process, in a temporary folder of its own; stop() kills it and cleans
 * up. Its configuration: the gateway example's (nginxConf), or one of the caller's (`conf`).
 */
export async function startNginx(
  options:
    { servicePort: number; upstreamPort: number } | { conf: (dir: string, port: number) => string },
): Promise<RunningNginx> {
  const dir = mkdtempSync(path.join(tmpdir(), 'empress-nginx-'));
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    mkdirSync(path.join(dir, sub));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    'conf' in options ? options.conf(dir, port) : nginxConf({ dir, port, ...options }),
  );
  const child = spawn(NGINX_BIN, ['-c', conf, '-p', `${dir}/`, '-e', path.join(dir, 'error.log')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = existsSync(path.join(dir, 'error.log'))
        ? readFileSync(path.join(dir, 'error.log'), 'utf8')
        : '';
      await stop();
      throw new Error(`nginx exited with ${child.exitCode}: ${output}\n${log}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not listen on ${port}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `http://127.0.0.1:${port}`, dir, process: child, stop };
}
