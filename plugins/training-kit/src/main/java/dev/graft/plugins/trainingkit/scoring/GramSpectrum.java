package dev.graft.plugins.trainingkit.scoring;

/**
 * The spectrum of a feature matrix {@code F} (n rows, d columns) and the coordinates of target
 * columns in its left singular basis, which is all that a Bayesian linear model's evidence needs.
 *
 * <p>It eigen-decomposes the smaller Gram matrix, {@code F F^T} (n &times; n) when n &lt; d, else
 * {@code F^T F} (d &times; d), in double precision: Householder reduction to tridiagonal form,
 * then implicit symmetric QR steps with Wilkinson shifts (Golub &amp; Van Loan, Matrix
 * Computations, 8.3). The eigenvectors are never formed: every reflection and rotation is applied
 * to the targets' vectors instead ({@code y} itself, or {@code F^T y}), which costs O(size) per
 * rotation and target rather than O(size&sup2;).
 *
 * <p>For eigenvalue {@code s[i]} (= &sigma;<sub>i</sub>&sup2;) and target {@code t},
 * {@link #projection} is (u<sub>i</sub>&middot;y<sub>t</sub>)&sup2;, the squared coordinate of the
 * target along the left singular vector u<sub>i</sub> (0 where &sigma;<sub>i</sub> = 0), and
 * {@link #outside} is the squared norm of the part of y<sub>t</sub> outside F's column space.
 * Immutable once built; not thread-safe while building.
 */
public final class GramSpectrum {
  private static final double EPS = Math.ulp(1.0);
  /** Eigenvalues below this fraction of the largest count as zero. */
  private static final double RANK_TOLERANCE = 1e-12;

  private final int rows;
  private final int columns;
  private final double[] eigenvalues;
  /** [target][i]: squared coordinate of target t along left singular vector i. */
  private final double[][] projections;
  private final double[] outside;

  private GramSpectrum(int rows, int columns, double[] eigenvalues, double[][] projections, double[] outside) {
    this.rows = rows;
    this.columns = columns;
    this.eigenvalues = eigenvalues;
    this.projections = projections;
    this.outside = outside;
  }

  /**
   * The spectrum of {@code features} with the coordinates of each target column.
   *
   * @param features n rows of d values, all rows the same length; n &ge; 1, d &ge; 1
   * @param targets n rows of c target values (one column per target)
   * @throws IllegalArgumentException for ragged, empty or mismatched input, or non-finite values
   */
  public static GramSpectrum of(float[][] features, double[][] targets) {
    int n = features.length;
    if (n == 0 || features[0].length == 0 || targets.length != n || targets[0].length == 0) {
      throw new IllegalArgumentException("need n >= 1 rows of d >= 1 features and as many target rows");
    }
    int d = features[0].length;
    int c = targets[0].length;
    for (int i = 0; i < n; i++) {
      if (features[i].length != d || targets[i].length != c) {
        throw new IllegalArgumentException("row " + i + " has another length than row 0");
      }
      for (float v : features[i]) {
        if (!Float.isFinite(v)) {
          throw new IllegalArgumentException("feature row " + i + " holds a non-finite value");
        }
      }
      for (double v : targets[i]) {
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException("target row " + i + " holds a non-finite value");
        }
      }
    }
    boolean byRows = n < d;
    int m = Math.min(n, d);
    double[][] gram = byRows ? outerGram(features) : innerGram(features);
    // b[t][j]: the vector carried through the transformations, per target.
    double[][] b = new double[c][m];
    double[] norms = new double[c];
    for (int t = 0; t < c; t++) {
      for (int i = 0; i < n; i++) {
        double y = targets[i][t];
        norms[t] += y * y;
        if (byRows) {
          b[t][i] = y;
        } else {
          float[] row = features[i];
          double[] bt = b[t];
          for (int j = 0; j < d; j++) {
            bt[j] += row[j] * y;
          }
        }
      }
    }
    double[] diagonal = new double[m];
    double[] offDiagonal = new double[m];
    tridiagonalize(gram, diagonal, offDiagonal, b);
    diagonalize(diagonal, offDiagonal, b);

    double largest = 0;
    for (double s : diagonal) {
      largest = Math.max(largest, s);
    }
    double[][] projections = new double[c][m];
    double[] outside = new double[c];
    for (int t = 0; t < c; t++) {
      double inside = 0;
      for (int i = 0; i < m; i++) {
        double s = diagonal[i];
        if (s <= RANK_TOLERANCE * largest || s <= 0) {
          continue;
        }
        // By rows, b holds u_i . y; by columns, v_i . F^T y = sigma_i (u_i . y).
        double coordinate = byRows ? b[t][i] * b[t][i] : b[t][i] * b[t][i] / s;
        projections[t][i] = coordinate;
        inside += coordinate;
      }
      outside[t] = Math.max(0, norms[t] - inside);
    }
    double[] eigen = new double[m];
    for (int i = 0; i < m; i++) {
      eigen[i] = diagonal[i] <= RANK_TOLERANCE * largest ? 0 : diagonal[i];
    }
    return new GramSpectrum(n, d, eigen, projections, outside);
  }

  /** The number of examples, n. */
  public int rows() {
    return rows;
  }

  /** The feature dimension, d. */
  public int columns() {
    return columns;
  }

  /** The number of targets. */
  public int targets() {
    return projections.length;
  }

  /** min(n, d) eigenvalues of the Gram matrix, unsorted; tiny ones are 0. A copy. */
  public double[] eigenvalues() {
    return eigenvalues.clone();
  }

  /** Squared coordinates of target {@code t} along each left singular vector, in eigenvalue order. A copy. */
  public double[] projection(int t) {
    return projections[t].clone();
  }

  /** The squared norm of target {@code t} outside the column space of the features. */
  public double outside(int t) {
    return outside[t];
  }

  private static double[][] innerGram(float[][] f) {
    int d = f[0].length;
    double[][] g = new double[d][d];
    double[] row = new double[d];
    for (float[] r : f) {
      for (int j = 0; j < d; j++) {
        row[j] = r[j];
      }
      for (int a = 0; a < d; a++) {
        double va = row[a];
        if (va == 0) {
          continue;
        }
        double[] ga = g[a];
        for (int bb = a; bb < d; bb++) {
          ga[bb] += va * row[bb];
        }
      }
    }
    mirror(g);
    return g;
  }

  private static double[][] outerGram(float[][] f) {
    int n = f.length;
    int d = f[0].length;
    double[][] g = new double[n][n];
    for (int a = 0; a < n; a++) {
      for (int bb = a; bb < n; bb++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
          s += (double) f[a][j] * f[bb][j];
        }
        g[a][bb] = s;
      }
    }
    mirror(g);
    return g;
  }

  private static void mirror(double[][] g) {
    for (int a = 0; a < g.length; a++) {
      for (int bb = a + 1; bb < g.length; bb++) {
        g[bb][a] = g[a][bb];
      }
    }
  }

  /**
   * Reduces symmetric {@code a} (overwritten) to tridiagonal form by Householder reflections
   * P = I - beta v v^T acting on rows/columns k+1.., applying each one to every vector of {@code b}.
   * Leaves the diagonal in {@code diagonal} and the sub-diagonal in {@code offDiagonal[0..m-2]}.
   */
  private static void tridiagonalize(double[][] a, double[] diagonal, double[] offDiagonal, double[][] b) {
    int m = a.length;
    double[] v = new double[m];
    double[] p = new double[m];
    for (int k = 0; k < m - 2; k++) {
      double norm = 0;
      for (int i = k + 1; i < m; i++) {
        norm += a[i][k] * a[i][k];
      }
      norm = Math.sqrt(norm);
      double x0 = a[k + 1][k];
      if (norm == 0) {
        continue; // the column is already reduced
      }
      double alpha = x0 >= 0 ? -norm : norm;
      double vv = 0;
      for (int i = k + 1; i < m; i++) {
        v[i] = a[i][k];
      }
      v[k + 1] -= alpha;
      for (int i = k + 1; i < m; i++) {
        vv += v[i] * v[i];
      }
      if (vv == 0) {
        continue;
      }
      double beta = 2 / vv;
      // p = beta A22 v; w = p - (beta p.v / 2) v; A22 -= v w^T + w v^T
      double pv = 0;
      for (int i = k + 1; i < m; i++) {
        double s = 0;
        double[] ai = a[i];
        for (int j = k + 1; j < m; j++) {
          s += ai[j] * v[j];
        }
        p[i] = beta * s;
        pv += p[i] * v[i];
      }
      double half = beta * pv / 2;
      for (int i = k + 1; i < m; i++) {
        p[i] -= half * v[i];
      }
      for (int i = k + 1; i < m; i++) {
        double[] ai = a[i];
        double vi = v[i];
        double wi = p[i];
        for (int j = k + 1; j < m; j++) {
          ai[j] -= vi * p[j] + wi * v[j];
        }
      }
      a[k + 1][k] = alpha;
      a[k][k + 1] = alpha;
      for (int i = k + 2; i < m; i++) {
        a[i][k] = 0;
        a[k][i] = 0;
      }
      for (double[] bt : b) {
        double dot = 0;
        for (int i = k + 1; i < m; i++) {
          dot += v[i] * bt[i];
        }
        double scale = beta * dot;
        for (int i = k + 1; i < m; i++) {
          bt[i] -= scale * v[i];
        }
      }
    }
    for (int i = 0; i < m; i++) {
      diagonal[i] = a[i][i];
      offDiagonal[i] = i + 1 < m ? a[i + 1][i] : 0;
    }
  }

  /**
   * Diagonalises the symmetric tridiagonal matrix (diagonal, offDiagonal) in place by implicit QR
   * steps with Wilkinson shifts, applying every rotation to the vectors of {@code b}.
   */
  private static void diagonalize(double[] d, double[] e, double[][] b) {
    int m = d.length;
    int hi = m - 1;
    int steps = 0;
    int limit = 60 * Math.max(1, m);
    while (hi > 0) {
      if (Math.abs(e[hi - 1]) <= EPS * (Math.abs(d[hi - 1]) + Math.abs(d[hi]))) {
        e[hi - 1] = 0;
        hi--;
        continue;
      }
      int lo = hi - 1;
      while (lo > 0 && Math.abs(e[lo - 1]) > EPS * (Math.abs(d[lo - 1]) + Math.abs(d[lo]))) {
        lo--;
      }
      if (++steps > limit) {
        throw new ArithmeticException("the symmetric QR iteration did not converge in " + limit + " steps");
      }
      qrStep(d, e, lo, hi, b);
    }
  }

  /** One implicit QR step with a Wilkinson shift on the unreduced block lo..hi. */
  private static void qrStep(double[] d, double[] e, int lo, int hi, double[][] b) {
    double delta = (d[hi - 1] - d[hi]) / 2;
    double eh = e[hi - 1];
    double sign = delta >= 0 ? 1 : -1;
    double shift = d[hi] - eh * eh / (delta + sign * Math.hypot(delta, eh));
    double x = d[lo] - shift;
    double z = e[lo];
    for (int k = lo; k < hi; k++) {
      double r = Math.hypot(x, z);
      double c = r == 0 ? 1 : x / r;
      double s = r == 0 ? 0 : z / r;
      if (k > lo) {
        e[k - 1] = r;
      }
      double a = d[k];
      double off = e[k];
      double cc = d[k + 1];
      d[k] = c * c * a + 2 * c * s * off + s * s * cc;
      d[k + 1] = s * s * a - 2 * c * s * off + c * c * cc;
      e[k] = c * s * (cc - a) + (c * c - s * s) * off;
      if (k + 1 < hi) {
        double next = e[k + 1];
        z = s * next; // the bulge at (k+2, k)
        e[k + 1] = c * next;
        x = e[k];
      }
      for (double[] bt : b) {
        double p = bt[k];
        double q = bt[k + 1];
        bt[k] = c * p + s * q;
        bt[k + 1] = -s * p + c * q;
      }
    }
  }
}
