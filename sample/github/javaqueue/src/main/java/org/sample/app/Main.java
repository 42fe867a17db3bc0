package org.sample.app;

import org.sample.queue.ArrayQueue;
import org.sample.queue.Queue;

public class Main {
    public static void main(String[] args) {
        Queue<String> queue = new ArrayQueue<>(4);
        for (String arg : args) {
            queue.add(arg);
        }
        while (!queue.isEmpty()) {
            System.out.println(queue.remove());
        }
    }
}
