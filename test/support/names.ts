/** `count` error types of 128 characters (the contract's longest), each with a count and a sample. */
export const longErrorTypes = (
  count: number,
): { counters: Record<string, number>; samples: Record<string, string> } => {
  const counters: Record<string, number> = {};
  const samples: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const type = `E${String(i).padStart(127, 'x')}`;
    counters[`e_${type}`] = 1;
    samples[`es_${type}`] = 'boom';
  }
  return { counters, samples };
};
