import java.util.*;
public class JavaRandomGolden {
  public static void main(String[] a) {
    long[] seeds = {0L, 1L, 9L, 42L, 12345L, -1L, 140737488355327L, -140737488355328L};
    for (long s : seeds) {
      Random r = new Random(s);
      StringBuilder b = new StringBuilder();
      b.append(s).append(" ints=");
      for (int i = 0; i < 3; i++) b.append(r.nextInt()).append(",");
      b.append(" bounded=");
      int[] bounds = {2, 3, 7, 10, 16, 1000, 1 << 30, 2147483647};
      for (int bd : bounds) b.append(r.nextInt(bd)).append(",");
      b.append(" doubles=");
      for (int i = 0; i < 3; i++) b.append(Double.doubleToLongBits(r.nextDouble())).append(",");
      b.append(" long=").append(r.nextLong());
      List<String> l = new ArrayList<>(Arrays.asList("A","B","C","D","E","F","G"));
      Collections.shuffle(l, r);
      b.append(" shuffle=").append(String.join("", l));
      b.append(" floor=");
      for (int n = 2; n <= 6; n++) b.append((int)Math.floor(r.nextDouble() * (double) n)).append(",");
      System.out.println(b);
    }
    Set<String> hs = new HashSet<>(Arrays.asList("Sneezy","Dopey","Grumpy","Happy","Bashful","Doc","Sleepy"));
    System.out.println("hashset=" + String.join(",", hs));
  }
}
