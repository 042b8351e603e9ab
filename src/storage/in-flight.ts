/** The operations a component has started and not finished, so that its shutdown can wait for them. */
export class InFlight {
  private readonly tasks = new Set<Promise<unknown>>();

  /** Tracks `task` until it settles, and returns it. */
  track<T>(task: Promise<T>): Promise<T> {
    this.tasks.add(task);
    const forget = () => {
      this.tasks.delete(task);
    };
    task.then(forget, forget);
    return task;
  }

  /** Resolves once nothing is in flight, including what starts while waiting. */
  async drain(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }
}
