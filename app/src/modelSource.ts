/** Where model files come from: the dtlens server's `/api/models` (absent when served as static files). */

export interface ServedModel {
  name: string;
  size: number;
}

/** The served models, or null when no dtlens server answers (static hosting). */
export async function listServedModels(): Promise<ServedModel[] | null> {
  try {
    const res = await fetch('api/models');
    if (!res.ok || !res.headers.get('content-type')?.includes('json')) return null;
    const body = (await res.json()) as { models?: ServedModel[] };
    return Array.isArray(body.models) ? body.models : null;
  } catch {
    return null;
  }
}

export async function fetchServedModel(name: string): Promise<Uint8Array> {
  const res = await fetch(`api/models/${encodeURIComponent(name)}`);
  if (!res.ok) throw new Error(`could not fetch model ${name}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}
