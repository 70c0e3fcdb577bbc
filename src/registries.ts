/** Names known up front, modules loaded only when chosen (the core never imports a channel). */
export interface ModuleRegistry<T> {
  readonly names: readonly string[];
  load(name: string): Promise<T>;
}

/** `Name`: the names the registry must have, when another module lists them too (the config schema). */
export function createRegistry<T, Name extends string = string>(loaders: Record<Name, () => Promise<T>>): ModuleRegistry<T> {
  return {
    names: Object.keys(loaders),
    load(name) {
      const loader = (loaders as Record<string, (() => Promise<T>) | undefined>)[name];
      if (!loader) throw new Error(`unknown module "${name}"`);
      return loader();
    },
  };
}
