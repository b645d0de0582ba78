import { describe, expect, test } from "bun:test";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IService } from "kubernetes-models/v1/Service";
import { loadManifests, mainContainer, only, podSpecOf, resolvePort, selects, validateManifest } from "./k8s-manifests";
import { findTool, readYamlDocuments, repoRoot } from "./support";

const manifests = loadManifests();
const deployment = only<IDeployment>(manifests, "Deployment");
const job = only<IJob>(manifests, "Job");
const service = only<IService>(manifests, "Service");
const hpa = only<IHorizontalPodAutoscaler>(manifests, "HorizontalPodAutoscaler");
const pdb = only<IPodDisruptionBudget>(manifests, "PodDisruptionBudget");
const configMap = only<IConfigMap>(manifests, "ConfigMap");
const secret = only<ISecret>(manifests, "Secret");
const config = configMap.data ?? {};
const api = mainContainer(deployment);
const serverPort = Number(config.PORT);

describe("k8s manifests", () => {
  test("every manifest is a valid Kubernetes object per the OpenAPI schemas", () => {
    expect(manifests.length).toBeGreaterThanOrEqual(7);
    for (const manifest of manifests) validateManifest(manifest);
  });

  test("kustomize applies everything but the example Secret and the migration Job", () => {
    const [kustomization] = readYamlDocuments("k8s/kustomization.yaml") as [{ resources: string[] }];
    const files = new Set(manifests.map((m) => m.file));
    expect([...kustomization.resources].sort()).toEqual(
      [...files].filter((f) => f !== "secret.example.yaml" && f !== "migrate-job.yaml").sort(),
    );
  });

  test.skipIf(!findTool("kubectl"))("kubectl kustomize renders the kustomization", () => {
    const run = Bun.spawnSync(["kubectl", "kustomize", "k8s"], { cwd: repoRoot });
    expect(run.stderr.toString()).toBe("");
    const kinds = run.stdout
      .toString()
      .split("\n")
      .filter((l) => l.startsWith("kind: "))
      .sort();
    expect(kinds).toEqual(
      ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"].map((k) => `kind: ${k}`),
    );
  });

  test("the Deployment, Service, PDB select the API pods and never the migration pod", () => {
    const podLabels = deployment.spec?.template.metadata?.labels;
    const jobLabels = job.spec?.template.metadata?.labels;
    const selectors = [deployment.spec?.selector.matchLabels, service.spec?.selector, pdb.spec?.selector?.matchLabels];
    for (const selector of selectors) {
      expect(selects(selector, podLabels)).toBe(true);
      expect(selects(selector, jobLabels)).toBe(false);
    }
  });

  test("the Service sends port 80 to the container port the server listens on", () => {
    expect(api.ports?.map((p) => p.containerPort)).toEqual([serverPort]);
    const [port] = service.spec?.ports ?? [];
    expect(port?.port).toBe(80);
    expect(resolvePort(api, port?.targetPort)).toBe(serverPort);
  });

  test("the Deployment's probes point at the server's health routes on its port", () => {
    const probes = { startup: api.startupProbe, liveness: api.livenessProbe, readiness: api.readinessProbe };
    expect(probes.startup?.httpGet?.path).toBe("/health");
    expect(probes.liveness?.httpGet?.path).toBe("/health");
    expect(probes.readiness?.httpGet?.path).toBe("/health/ready");
    for (const probe of Object.values(probes)) expect(resolvePort(api, probe?.httpGet?.port)).toBe(serverPort);
  });

  test.each([
    ["Deployment", deployment],
    ["migration Job", job],
  ] as const)("every ConfigMap and Secret key the %s reads exists", (_, workload) => {
    const container = mainContainer(workload);
    const secretKeys = Object.keys(secret.stringData ?? {});
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef) expect(source.configMapRef.name).toBe(configMap.metadata?.name);
      if (source.secretRef) expect(source.secretRef.name).toBe(secret.metadata?.name);
    }
    for (const { valueFrom } of container.env ?? []) {
      if (valueFrom?.configMapKeyRef) {
        expect(valueFrom.configMapKeyRef.name).toBe(configMap.metadata?.name);
        expect(Object.keys(config)).toContain(valueFrom.configMapKeyRef.key);
      }
      if (valueFrom?.secretKeyRef) {
        expect(valueFrom.secretKeyRef.name).toBe(secret.metadata?.name);
        expect(secretKeys).toContain(valueFrom.secretKeyRef.key);
      }
    }
  });

  test("the ConfigMap holds the production settings and no secret", () => {
    expect(config).toMatchObject({
      PORT: "3000",
      NODE_ENV: "production",
      LOG_FORMAT: "json",
      MIGRATE_ON_START: "false",
      TRUST_PROXY: "1",
      DOCS_ENABLED: "false",
    });
    for (const key of ["ALLOWED_ORIGINS", "RATE_LIMIT_WINDOW_MS", "RATE_LIMIT_MAX"]) expect(config[key]).toBeTruthy();
    for (const key of ["SHUTDOWN_DELAY_MS", "SHUTDOWN_TIMEOUT_MS"]) expect(Number(config[key])).toBeGreaterThan(0);
    expect(Object.keys(config)).not.toContainAnyValues(Object.keys(secret.stringData ?? {}));
  });

  test("the Deployment reads every secret setting from the Secret and the example holds placeholders only", () => {
    const names = ["DATABASE_URL", "REDIS_URL", "JWT_SECRET", "JWT_REFRESH_SECRET", "METRICS_TOKEN", "SENTRY_DSN"];
    expect(Object.keys(secret.stringData ?? {}).sort()).toEqual([...names].sort());
    expect(secret.data).toBeUndefined();
    for (const value of Object.values(secret.stringData ?? {})) expect(value).toContain("CHANGE_ME");
    const fromSecret = (api.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
    expect(fromSecret.sort()).toEqual([...names].sort());
  });

  test.each([
    ["Deployment", deployment],
    ["migration Job", job],
  ] as const)("the %s runs unprivileged with a read-only root and a writable /tmp", (_, workload) => {
    const pod = podSpecOf(workload);
    const container = mainContainer(workload);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    const tmp = container.volumeMounts?.find((m) => m.mountPath === "/tmp");
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  test("one pod asks for half a core and may use one, with 128Mi requested and 256Mi at most", () => {
    expect(api.resources).toEqual({
      requests: { cpu: "500m", memory: "128Mi" },
      limits: { cpu: "1000m", memory: "256Mi" },
    });
  });

  test("the HPA keeps 2 to 10 replicas at 70% CPU and waits five minutes before scaling down", () => {
    expect(hpa.spec?.scaleTargetRef).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment" });
    expect(hpa.spec?.scaleTargetRef.name).toBe(deployment.metadata?.name);
    expect(hpa.spec?.minReplicas).toBe(2);
    expect(hpa.spec?.maxReplicas).toBe(10);
    expect(hpa.spec?.metrics?.[0]?.resource).toEqual({
      name: "cpu",
      target: { type: "Utilization", averageUtilization: 70 },
    });
    expect(hpa.spec?.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(300);
    // The HPA owns the count: a replicas field here would reset it on every apply.
    expect(deployment.spec?.replicas).toBeUndefined();
  });

  test("a rollout and a node drain always leave a serving pod", () => {
    expect(pdb.spec?.minAvailable).toBe(1);
    expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
  });

  test("the migration Job runs the built migrate script from the Deployment's image, once", () => {
    const migrate = mainContainer(job);
    expect(migrate.command).toEqual(["bun", "run", "dist/scripts/migrate.js"]);
    expect(migrate.image).toBe(api.image);
    expect(podSpecOf(job).restartPolicy).toBe("Never");
    expect((migrate.env ?? []).map((e) => e.name)).toEqual(["DATABASE_URL"]);
  });
});
