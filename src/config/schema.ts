// Every platform setting: one YB_* (or standard) environment variable, declared once with type, default and
// description. The README's configuration table is generated from this list. Pure: reads nothing itself.

export type SettingType = 'string' | 'int' | 'decimal' | 'addr' | 'bool' | 'list' | 'cidrs';

export interface Setting {
  env: string;
  type: SettingType;
  default: string;
  description: string;
  /** The only values a string setting may take. */
  choices?: readonly string[];
  /** The smallest value an int setting may take. */
  min?: number;
}

export const SETTINGS = {
  apiAddr: { env: 'YB_API_ADDR', type: 'addr', default: '127.0.0.1:5050', description: 'API, git over HTTP and web console (host:port or http URL).' },
  routerAddr: { env: 'YB_ROUTER_ADDR', type: 'addr', default: '127.0.0.1:8080', description: 'Router HTTP listener.' },
  routerTlsAddr: { env: 'YB_ROUTER_TLS_ADDR', type: 'addr', default: '127.0.0.1:8443', description: 'Router HTTPS listener.' },
  routerAdminAddr: {
    env: 'YB_ROUTER_ADMIN_ADDR',
    type: 'addr',
    default: '127.0.0.1:9080',
    description: 'Router admin listener: Prometheus /metrics and /healthz.',
  },
  routerWorkers: { env: 'YB_ROUTER_WORKERS', type: 'int', default: '0', description: 'Router worker processes; 0 means one per CPU core.' },
  routerId: { env: 'YB_ROUTER_ID', type: 'string', default: '', description: 'Router id in routers/<id>; empty means <hostname>-<router address>.' },
  routerAccessLog: {
    env: 'YB_ROUTER_ACCESS_LOG_PERMILLE',
    type: 'int',
    default: '1000',
    description: 'Requests per thousand written to the router access log (0 turns it off).',
  },
  routerUpstreamTimeout: {
    env: 'YB_ROUTER_UPSTREAM_TIMEOUT',
    type: 'int',
    default: '60',
    description: 'Seconds the router waits for an app to start answering before a 504.',
  },
  routerDrainTimeout: { env: 'YB_ROUTER_DRAIN_TIMEOUT', type: 'int', default: '10', description: 'Seconds a stopping router lets in-flight requests finish.' },
  routerMaxHeaderKb: {
    env: 'YB_ROUTER_MAX_HEADER_KB',
    type: 'int',
    default: '16',
    description:
      'Largest request or response head (request line or status line plus headers) the router accepts, in KiB; larger requests get 431, larger responses 502.',
  },
  routerHttp2: {
    env: 'YB_ROUTER_HTTP2',
    type: 'bool',
    default: 'false',
    description:
      'Offer HTTP/2 to TLS clients (ALPN h2). Off by default: through the router it serves about half the requests per second of HTTP/1.1 (bench/router).',
  },
  routerEject: { env: 'YB_ROUTER_EJECT', type: 'int', default: '5', description: 'Seconds a failing endpoint is skipped (passive health).' },
  sshAddr: { env: 'YB_SSH_ADDR', type: 'addr', default: '127.0.0.1:2222', description: 'Git over SSH listener.' },
  domain: { env: 'YB_DOMAIN', type: 'string', default: 'localhost', description: "Apps' default host name is <app>.<domain>." },
  dataDir: {
    env: 'YB_DATA_DIR',
    type: 'string',
    default: './.yunbang',
    description: 'Platform data: git repos, build logs and caches, embedded etcd, admin token.',
  },
  logDir: {
    env: 'YB_LOG_DIR',
    type: 'string',
    default: '',
    description:
      "Log files: the apps' stored log streams (yb logs), the router's access log ybd reads them from, and the embedded etcd's and registry's output. Empty means $YB_DATA_DIR/logs; scripts/install.sh sets /var/log/yunbang.",
  },
  etcdEndpoints: {
    env: 'YB_ETCD_ENDPOINTS',
    type: 'list',
    default: '',
    description: 'Comma-separated etcd URLs; empty starts an embedded etcd child process.',
  },
  etcdPrefix: { env: 'YB_ETCD_PREFIX', type: 'string', default: '/yunbang/', description: 'Key prefix of all platform state in etcd.' },
  etcdClientPort: { env: 'YB_ETCD_PORT', type: 'int', default: '2379', description: 'Client port of the embedded etcd (peer port is this + 1).' },
  runtime: {
    env: 'YB_RUNTIME',
    type: 'string',
    choices: ['docker', 'kubernetes'],
    default: 'docker',
    description:
      'Runtime backend that runs apps and services (docs/architecture.md §6): docker (the engine at DOCKER_HOST, one host) or kubernetes (the cluster of YB_KUBECONFIG; builds stay on the engine at DOCKER_HOST and images reach the nodes through YB_REGISTRY_URL). npm start brings up a local test cluster (scripts/k8s-up.sh) when YB_KUBECONFIG is empty.',
  },
  kubeconfig: {
    env: 'YB_KUBECONFIG',
    type: 'string',
    default: '',
    description:
      'The kubeconfig of the cluster YB_RUNTIME=kubernetes runs apps on (its current context); the account needs to manage namespaces, pods, ReplicaSets, StatefulSets, Services, Secrets and NetworkPolicies.',
  },
  kubeHostCidrs: {
    env: 'YB_KUBE_HOST_CIDRS',
    type: 'cidrs',
    default: '',
    description:
      "Comma-separated CIDRs a team's isolation policy admits besides the team's own pods: where routers and the control plane reach pods from. Empty: each node's InternalIP and the first address of its pod CIDR (a bridge CNI's gateway), read at start.",
  },
  kubeVolumesDir: {
    env: 'YB_KUBE_VOLUMES_DIR',
    type: 'string',
    default: '',
    description:
      "Directory on the nodes for backing services' data (hostPath, one directory per service). Empty: $YB_DATA_DIR/volumes (a single-node or same-disk cluster).",
  },
  dockerHost: { env: 'DOCKER_HOST', type: 'string', default: '', description: 'Docker engine address; empty means /var/run/docker.sock.' },
  dockerEndpoints: {
    env: 'YB_DOCKER_ENDPOINTS',
    type: 'string',
    choices: ['auto', 'container', 'published'],
    default: 'auto',
    description:
      "How routers reach app processes on Docker (docs/architecture.md §6.1): container (the container's address on its team network; nothing is published, and traffic keeps flowing while the engine restarts with live-restore), published (a port published on 127.0.0.1 through the engine's port proxy). auto: container when the engine runs on this host and is not rootless, else published.",
  },
  instance: { env: 'YB_INSTANCE', type: 'string', default: 'yunbang', description: 'Label value marking the Docker objects this platform owns.' },
  buildConcurrency: {
    env: 'YB_BUILD_CONCURRENCY',
    type: 'int',
    min: 0,
    default: '0',
    description:
      'Builds that run at once (across apps); 0: one per core of the host. The rest wait in a queue shared fairly between teams, and each waiting push is told its place ("queued behind 3 builds").',
  },
  buildTimeout: { env: 'YB_BUILD_TIMEOUT', type: 'int', default: '1800', description: 'Seconds before a build is cancelled.' },
  maxPushMiB: { env: 'YB_MAX_PUSH_MB', type: 'int', default: '512', description: 'Largest git push or source upload accepted, in MiB.' },
  maxUnpackedMiB: {
    env: 'YB_MAX_UNPACKED_MB',
    type: 'int',
    min: 1,
    default: '1024',
    description:
      "Largest size a pushed or uploaded source may unpack to, in MiB (its files' bytes; a push is compressed, so keep it a small multiple of YB_MAX_PUSH_MB). Checked while unpacking: a larger source is refused before it fills the disk.",
  },
  restoreMaxMiB: {
    env: 'YB_RESTORE_MAX_MB',
    type: 'int',
    min: 1,
    default: '262144',
    description:
      'Largest size a platform backup may unpack to in `ybd restore`, in MiB (checked from each entry header before its data is written). Raise it for a platform whose repos and service dumps are larger.',
  },
  maxUnpackedFiles: {
    env: 'YB_MAX_UNPACKED_FILES',
    type: 'int',
    min: 1,
    default: '200000',
    description: 'Most files, directories and links a pushed or uploaded source may unpack to; more is refused while unpacking.',
  },
  buildMemory: {
    env: 'YB_BUILD_MEMORY',
    type: 'int',
    default: '4096',
    description: 'Memory limit of a build, in MiB: the buildpack build container, and the RUN steps of Dockerfile builds (0: no limit).',
  },
  buildCpus: {
    env: 'YB_BUILD_CPUS',
    type: 'decimal',
    default: '0',
    description: "CPUs a build may use (e.g. 1.5): the buildpack build container, and the RUN steps of Dockerfile builds; 0: no limit beyond the host's cores.",
  },
  buildCacheMiB: {
    env: 'YB_BUILD_CACHE_MB',
    type: 'int',
    default: '8192',
    description:
      'Build cache (BuildKit layers) the Docker engine keeps, in MiB; the least recently used beyond it is pruned at start and after builds (0: never pruned).',
  },
  dockerfileBuilder: {
    env: 'YB_DOCKERFILE_BUILDER',
    type: 'string',
    choices: ['buildkit', 'classic'],
    default: 'buildkit',
    description:
      'Builder of Dockerfile apps: buildkit (fast; YB_BUILD_MEMORY and YB_BUILD_CPUS are set on the cgroup of all its RUN steps, so Dockerfile builds running at once share them) or classic (each build gets them on its own, ~0.2 s slower).',
  },
  buildpackFetchMiB: {
    env: 'YB_BUILDPACK_FETCH_MB',
    type: 'int',
    default: '100',
    description: 'Largest buildpack fetched from a URL (BUILDPACK_URL, .buildpacks: a tarball or git repository), in MiB.',
  },
  outboundPrivate: {
    env: 'YB_OUTBOUND_PRIVATE',
    type: 'bool',
    default: 'false',
    description:
      'Let user-given URLs (buildpack URLs, log drains, the OCSP responders certificates name) reach loopback and private-network hosts (an internal mirror or log collector). Link-local addresses (cloud metadata) are always refused.',
  },
  gitSyncMiB: {
    env: 'YB_GIT_SYNC_MB',
    type: 'int',
    default: '512',
    description: 'Largest repository fetched (one commit deep) by yb git:sync or a webhook delivery, in MiB.',
  },
  gitSyncTimeout: {
    env: 'YB_GIT_SYNC_TIMEOUT',
    type: 'int',
    default: '300',
    description: 'Seconds yb git:sync or a webhook delivery has to fetch its commit from the remote repository.',
  },
  webhookMaxKiB: {
    env: 'YB_WEBHOOK_MAX_KB',
    type: 'int',
    default: '1024',
    description: 'Largest webhook delivery body (a push payload), in KiB; larger deliveries are answered 413 and not read further.',
  },
  buildpackFetchTimeout: {
    env: 'YB_BUILDPACK_FETCH_TIMEOUT',
    type: 'int',
    default: '120',
    description: 'Seconds a buildpack URL has to download; fetched buildpacks are cached per URL (and #ref).',
  },
  stackImage: { env: 'YB_STACK_IMAGE', type: 'string', default: 'yunbang/stack:latest', description: 'Run-time base image of apps.' },
  builderImage: { env: 'YB_BUILDER_IMAGE', type: 'string', default: 'yunbang/builder:latest', description: 'Image buildpacks run in.' },
  buildpacksDir: {
    env: 'YB_BUILDPACKS_DIR',
    type: 'string',
    default: '',
    description:
      "Directory of the shipped buildpacks, bind-mounted into builds; empty means the platform's own buildpacks/. Must be a path the Docker engine's host sees the same way (the platform image copies them under its data volume).",
  },
  caBundle: {
    env: 'YB_CA_BUNDLE',
    type: 'string',
    default: '/etc/ssl/certs/ca-certificates.crt',
    description: "Host CA bundle given to builds (TLS through the host's proxies).",
  },
  npmRegistry: { env: 'YB_NPM_REGISTRY', type: 'string', default: '', description: "npm registry for builds; empty takes the host's npm config." },
  pipIndex: { env: 'YB_PIP_INDEX_URL', type: 'string', default: '', description: "PyPI index for builds; empty takes the host's pip config." },
  goProxy: { env: 'YB_GOPROXY', type: 'string', default: '', description: "Go module proxy for builds; empty takes the host's go env." },
  composerRepo: {
    env: 'YB_COMPOSER_REPO',
    type: 'string',
    default: '',
    description:
      "Composer repository (a Packagist mirror: the URL holding packages.json) that replaces Packagist in PHP builds; empty: a PHP app that requires packages must commit vendor/. An http:// URL also turns off Composer's secure-http.",
  },
  healthWait: {
    env: 'YB_HEALTH_UPTIME',
    type: 'int',
    default: '2',
    description: 'Seconds a new container must stay up after accepting TCP to count as healthy.',
  },
  healthTimeout: { env: 'YB_HEALTH_TIMEOUT', type: 'int', default: '60', description: 'Seconds a new container has to become healthy.' },
  exitWithParent: {
    env: 'YB_EXIT_WITH_PARENT',
    type: 'bool',
    default: 'false',
    description: 'Stop, as on SIGTERM, when the process that started ybd exits; the test suite sets it so that a killed test run leaves no platform behind.',
  },
  ha: {
    env: 'YB_HA',
    type: 'bool',
    default: 'false',
    description:
      'Run as one of several ybd instances on the same etcd (YB_ETCD_ENDPOINTS) and data directory, with the router as its own process (YB_ROUTER=external): they elect a leader that runs the control plane; the others forward their API and SSH ports to it and take over when it is gone (docs/architecture.md §9).',
  },
  haLease: {
    env: 'YB_HA_LEASE',
    type: 'int',
    min: 2,
    default: '5',
    description:
      "Seconds of the leader's etcd lease (YB_HA): a leader that dies is replaced this long after its last keep-alive; a leader that cannot renew it in time exits.",
  },
  stopGrace: { env: 'YB_STOP_GRACE', type: 'int', default: '10', description: 'Seconds between SIGTERM and SIGKILL for old containers.' },
  routerConfirmTimeout: {
    env: 'YB_ROUTER_CONFIRM_TIMEOUT',
    type: 'int',
    default: '10',
    description: 'Seconds a rollout waits for live routers to apply a route change.',
  },
  // Container hardening (issue #14): every container also gets no-new-privileges and a reduced capability set.
  processPids: {
    env: 'YB_PROCESS_PIDS',
    type: 'int',
    default: '512',
    description:
      'Processes and threads an app process or one-off container (release phase, deploy scripts, yb run) may have at once; a fork bomb stops there (0: no limit).',
  },
  buildPids: {
    env: 'YB_BUILD_PIDS',
    type: 'int',
    default: '4096',
    description:
      'Processes and threads a build may have at once: the buildpack build container, and the RUN steps of Dockerfile builds (shared, like YB_BUILD_MEMORY) (0: no limit).',
  },
  servicePids: {
    env: 'YB_SERVICE_PIDS',
    type: 'int',
    default: '1024',
    description: 'Processes and threads a backing service container (postgres, mysql, redis) may have at once (0: no limit).',
  },
  serviceMemory: {
    env: 'YB_SERVICE_MEMORY',
    type: 'int',
    default: '1024',
    description: 'Memory limit, in MiB, of a backing service container (postgres, mysql, redis), swap included; 0: no limit.',
  },
  processMemory: {
    env: 'YB_PROCESS_MEMORY',
    type: 'int',
    default: '512',
    description:
      'Memory limit, in MiB, of app processes without a size (ps:scale web=1:1G sets one) and of one-off containers when the web process has none; a process beyond it is killed (exit 137). 0: no limit.',
  },
  releaseTimeout: {
    env: 'YB_RELEASE_TIMEOUT',
    type: 'int',
    default: '1800',
    description:
      'Seconds a release phase, predeploy or postdeploy container may run; past it the container is killed and removed, and a release phase or predeploy fails the deploy.',
  },
  runTimeout: {
    env: 'YB_RUN_TIMEOUT',
    type: 'int',
    default: '3600',
    description: 'Seconds a yb run process may run; past it the container is killed and the user told why.',
  },
  // The platform's image registry (issue #15): built images pushed for other hosts and for rollbacks after a local image is gone.
  registryPush: {
    env: 'YB_REGISTRY_PUSH',
    type: 'bool',
    default: 'false',
    description:
      'Push every built image to the image registry (tagged <registry>/<instance>/<app>:<build>); releases keep its digest, a rollback or restart pulls it when the local image is gone, and release retention deletes its manifest. Off: images stay local (single-host deploys skip the push).',
  },
  registryUrl: {
    env: 'YB_REGISTRY_URL',
    type: 'string',
    default: '',
    description:
      "An existing registry (http://host:port) to push to instead of the embedded one; the Docker engine must be allowed to reach it (loopback is; others need TLS or an insecure-registries entry). Its garbage collection is its operator's. Empty: ybd starts its own docker-registry when YB_REGISTRY_PUSH is on.",
  },
  registryAddr: {
    env: 'YB_REGISTRY_ADDR',
    type: 'addr',
    default: '127.0.0.1:5000',
    description:
      'Listener of the embedded registry (data under $YB_DATA_DIR/registry, no authentication, so loopback only). Garbage-collected at start and after release retention deletes manifests, stopped meanwhile, never during a push or pull.',
  },
  releaseRetention: { env: 'YB_RELEASE_RETENTION', type: 'int', default: '10', description: 'Releases per app whose images are kept for rollback.' },
  serviceHealthTimeout: {
    env: 'YB_SERVICE_HEALTH_TIMEOUT',
    type: 'int',
    default: '120',
    description: 'Seconds a new or restarted backing service has to accept connections.',
  },
  serviceBackupRetention: {
    env: 'YB_SERVICE_BACKUPS_KEPT',
    type: 'int',
    default: '7',
    description: 'Backups kept per service (under $YB_DATA_DIR/backups/<service>/); older ones are deleted.',
  },
  serviceBackupPartMiB: {
    env: 'YB_SERVICE_BACKUP_PART_MB',
    type: 'int',
    default: '64',
    min: 5,
    description:
      'Off-site service backups larger than this many MiB go to the S3-compatible store as a multipart upload in parts of this size (S3 parts are at least 5 MiB).',
  },
  logLines: { env: 'YB_LOG_LINES', type: 'int', default: '10000', description: 'Log lines kept per app (on disk, across restarts) for yb logs.' },
  logDrainBuffer: {
    env: 'YB_LOG_DRAIN_BUFFER',
    type: 'int',
    default: '10000',
    description: 'Lines a log drain buffers while its endpoint is down; the oldest are dropped beyond that.',
  },
  metricsInterval: {
    env: 'YB_METRICS_INTERVAL',
    type: 'int',
    default: '15',
    description: 'Seconds between samples of router counters and container CPU/memory (kept for an hour).',
  },
  autoscaleInterval: {
    env: 'YB_AUTOSCALE_INTERVAL',
    type: 'int',
    default: '15',
    min: 1,
    description: 'Seconds between evaluations of the autoscaling policies (yb autoscale); by the leader only under YB_HA.',
  },
  autoscaleWindow: {
    env: 'YB_AUTOSCALE_WINDOW',
    type: 'int',
    default: '60',
    min: 1,
    description: "Seconds of the router's readings an autoscaling decision looks at (a sliding window, starting after the last change).",
  },
  autoscaleSustain: {
    env: 'YB_AUTOSCALE_SUSTAIN',
    type: 'int',
    default: '30',
    min: 1,
    description:
      'Seconds of readings an autoscaling decision needs (at least two YB_METRICS_INTERVAL samples); three quarters of them over the target to add processes.',
  },
  autoscaleUpCooldown: {
    env: 'YB_AUTOSCALE_UP_COOLDOWN',
    type: 'int',
    default: '60',
    min: 0,
    description: 'Seconds after an autoscaling change before processes may be added again.',
  },
  autoscaleDownCooldown: {
    env: 'YB_AUTOSCALE_DOWN_COOLDOWN',
    type: 'int',
    default: '300',
    min: 0,
    description: 'Seconds a process type must have been calm, and since its last autoscaling change, before one process is removed.',
  },
  loginMaxFailures: {
    env: 'YB_LOGIN_MAX_FAILURES',
    type: 'int',
    default: '10',
    description: 'Failed password log-ins per user name and client IP within YB_LOGIN_WINDOW; further attempts get 429 with Retry-After.',
  },
  loginMaxFailuresPerIp: {
    env: 'YB_LOGIN_MAX_FAILURES_PER_IP',
    type: 'int',
    default: '100',
    description: 'Failed password log-ins per client IP (any user name) within YB_LOGIN_WINDOW; further attempts get 429.',
  },
  apiTrustedProxies: {
    env: 'YB_API_TRUSTED_PROXIES',
    type: 'cidrs',
    default: '',
    description:
      'Reverse proxies in front of the API (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names the client: its IP then counts for log-in throttling and audit events. Empty: the socket address is the client.',
  },
  loginWindow: { env: 'YB_LOGIN_WINDOW', type: 'int', default: '900', description: 'Seconds of the sliding window in which failed log-ins are counted.' },
  // Web console (docs/architecture.md §8).
  consoleSessionHours: {
    env: 'YB_CONSOLE_SESSION_HOURS',
    type: 'int',
    default: '12',
    description: 'Hours a web console sign-in lasts; the session then ends on the server and the browser must sign in again.',
  },
  auditRetentionDays: {
    env: 'YB_AUDIT_RETENTION_DAYS',
    type: 'int',
    default: '90',
    description: 'Days audit events are kept; older ones are pruned hourly (0 keeps them forever).',
  },
  auditMaxEvents: {
    env: 'YB_AUDIT_MAX_EVENTS',
    type: 'int',
    default: '10000',
    description: 'Audit events kept per team (and for account events); the oldest beyond are pruned hourly (0: no limit).',
  },
  apiHeadersTimeout: {
    env: 'YB_API_HEADERS_TIMEOUT',
    type: 'int',
    default: '30',
    description: 'Seconds a client of the API has to send a request line and headers; slower connections are closed (slowloris).',
  },
  apiRequestTimeout: {
    env: 'YB_API_REQUEST_TIMEOUT',
    type: 'int',
    default: '600',
    description:
      'Seconds a client of the API has to send a whole request, body included (a git push or source upload); answers that stream (builds, logs -t, yb run) are not limited by it.',
  },
  acmeDirectory: {
    env: 'YB_ACME_DIRECTORY',
    type: 'string',
    default: 'https://acme-v02.api.letsencrypt.org/directory',
    description: 'ACME directory URL used by yb certs:auto (HTTP-01 through the router).',
  },
  acmeEmail: { env: 'YB_ACME_EMAIL', type: 'string', default: '', description: 'Contact e-mail of the ACME account (optional).' },
  acmeRenewDays: {
    env: 'YB_ACME_RENEW_DAYS',
    type: 'int',
    default: '30',
    description: 'ACME certificates (yb certs:auto) are renewed when they have this many days or fewer left.',
  },
  acmeRenewInterval: {
    env: 'YB_ACME_RENEW_INTERVAL',
    type: 'int',
    default: '43200',
    description:
      'Seconds between checks for ACME certificates due for renewal (the first within a minute of start-up); a failed renewal is retried at the next check.',
  },
  reviewAppsSweep: {
    env: 'YB_REVIEW_APPS_SWEEP',
    type: 'int',
    default: '60',
    description:
      "Seconds between looks for review apps idle past their pipeline's idle hours (yb reviewapps:enable --idle-hours), which are destroyed with their services.",
  },
  reviewAppsMax: {
    env: 'YB_REVIEW_APPS_MAX',
    type: 'int',
    default: '20',
    min: 1,
    description:
      'Review apps one pipeline may have at once; a push of a new branch past it is refused (each review app is an app with its own processes and services).',
  },
  logLevel: { env: 'YB_LOG_LEVEL', type: 'string', default: 'info', description: 'Platform log level (pino).' },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
