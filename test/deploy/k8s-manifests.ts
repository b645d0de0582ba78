import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { type IJob, Job } from "kubernetes-models/batch/v1/Job";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { readYamlDocuments, repoRoot } from "./support";

interface Validatable {
  validate(): void;
}

/** kubernetes-models classes by "apiVersion/kind": each validates against the OpenAPI schema. */
// biome-ignore lint/suspicious/noExplicitAny: each model takes its own data type; the map is keyed by the doc's kind.
const models: Record<string, new (data: any) => Validatable> = {
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "batch/v1/Job": Job,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
};

export interface Manifest {
  file: string;
  doc: Record<string, unknown>;
}

/** Every Kubernetes object under k8s/ (the kustomization is kustomize's, not the API server's). */
export function loadManifests(): Manifest[] {
  return readdirSync(join(repoRoot, "k8s"))
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .sort()
    .flatMap((f) => readYamlDocuments(`k8s/${f}`).map((doc) => ({ file: f, doc })));
}

/** Throws with the file and kind when a document is not a valid object of a known kind. */
export function validateManifest({ file, doc }: Manifest): void {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const Model = models[key];
  if (!Model) throw new Error(`${file}: no schema for ${key}`);
  try {
    new Model(doc).validate();
  } catch (error) {
    throw new Error(`${file} (${key}): ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function only<T>(manifests: Manifest[], kind: string): T {
  const found = manifests.filter((m) => m.doc.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]?.doc as T;
}

export function podSpecOf(workload: IDeployment | IJob): IPodSpec {
  const spec = workload.spec?.template.spec;
  if (!spec) throw new Error(`${workload.metadata?.name} has no pod spec`);
  return spec;
}

export function mainContainer(workload: IDeployment | IJob): IContainer {
  const container = podSpecOf(workload).containers[0];
  if (!container) throw new Error(`${workload.metadata?.name} has no container`);
  return container;
}

/** A probe's or Service's port, by number or by the container port's name. */
export function resolvePort(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === "number") return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Whether a label selector's matchLabels all hold on a pod's labels. */
export function selects(matchLabels: Record<string, string> | undefined, labels: Record<string, string> = {}) {
  const entries = Object.entries(matchLabels ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}
