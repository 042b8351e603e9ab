/** What SVG rendering needs of `@viz-js/viz`. */
export interface VizModule {
  instance(): Promise<{
    render(
      input: string,
      options: { format: string },
    ): { status: string; output?: string; errors: { level?: string; message: string }[] };
  }>;
}

/** Loads `@viz-js/viz`, an optional peer dependency. */
export type VizLoader = () => Promise<VizModule>;

/** The real loader. */
export const loadViz: VizLoader = () => import('@viz-js/viz');

/** What to tell a user who asked for SVG without `@viz-js/viz` installed. */
export const VIZ_MISSING =
  'rendering SVG needs the optional package @viz-js/viz (Graphviz compiled to WebAssembly; no system Graphviz needed).\n' +
  'Install it with: npm install @viz-js/viz\n';

/** The module, or `null` when it is not installed. */
export async function tryLoadViz(load: VizLoader = loadViz): Promise<VizModule | null> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

/** Lays a graph out as SVG; Graphviz failures (including running out of memory) become `error`. */
export async function renderSvg(viz: VizModule, dot: string): Promise<{ output: string; error?: string }> {
  try {
    const result = (await viz.instance()).render(dot, { format: 'svg' });
    if (result.status === 'success' && result.output !== undefined) return { output: result.output };
    const messages = result.errors.filter((e) => e.level !== 'warning').map((e) => e.message.trim());
    return { output: '', error: messages.join('; ') || 'unknown error' };
  } catch (error) {
    return { output: '', error: error instanceof Error ? error.message : String(error) };
  }
}
