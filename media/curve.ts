// Edge geometry for the lifecycle diagram.

export interface Point { x: number; y: number }

/** A B-spline through dagre's control points (the curve d3's curveBasis draws). */
export function basisPath(pts: Point[]): string {
  const f = (n: number) => Math.round(n * 10) / 10;
  if (pts.length < 3) return pts.map((p, i) => `${i ? 'L' : 'M'}${f(p.x)},${f(p.y)}`).join('');
  let d = `M${f(pts[0]!.x)},${f(pts[0]!.y)}`;
  let [x0, y0, x1, y1] = [pts[0]!.x, pts[0]!.y, pts[1]!.x, pts[1]!.y];
  d += `L${f((5 * x0 + x1) / 6)},${f((5 * y0 + y1) / 6)}`;
  const bezier = (x: number, y: number) => {
    d += `C${f((2 * x0 + x1) / 3)},${f((2 * y0 + y1) / 3)},${f((x0 + 2 * x1) / 3)},${f((y0 + 2 * y1) / 3)},${f((x0 + 4 * x1 + x) / 6)},${f((y0 + 4 * y1 + y) / 6)}`;
    [x0, y0, x1, y1] = [x1, y1, x, y];
  };
  for (const p of pts.slice(2)) bezier(p.x, p.y);
  bezier(x1, y1);
  return `${d}L${f(x1)},${f(y1)}`;
}
