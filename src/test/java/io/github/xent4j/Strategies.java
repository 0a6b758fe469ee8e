package io.github.xent4j;

import java.util.function.Consumer;

/**
 * Runs a check once per kernel strategy: the fused native op (small inputs), and the lean
 * composition with each way of exponentiating ({@code SoftMax}, or {@code Exp} and a row sum),
 * whatever the input's size and the thread count.
 */
public final class Strategies {
    private Strategies() {
    }

    public static void forEach(Consumer<String> check) {
        for (String strategy : new String[]{"fused", "lean-softmax", "lean-exp"}) {
            long savedMax = XentKernel.fusedMaxElements;
            String savedExp = XentKernel.leanExponentials;
            XentKernel.fusedMaxElements = strategy.equals("fused") ? Long.MAX_VALUE : 0;
            XentKernel.leanExponentials = strategy.equals("lean-exp") ? "exp" : "softmax";
            try {
                check.accept(strategy);
            } finally {
                XentKernel.fusedMaxElements = savedMax;
                XentKernel.leanExponentials = savedExp;
            }
        }
    }
}
