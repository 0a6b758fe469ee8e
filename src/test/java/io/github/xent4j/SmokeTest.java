package io.github.xent4j;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.assertEquals;
class SmokeTest {
  @Test void nd4jLoads() { assertEquals(3.0, Nd4j.createFromArray(1.0, 2.0).sumNumber().doubleValue()); }
}
