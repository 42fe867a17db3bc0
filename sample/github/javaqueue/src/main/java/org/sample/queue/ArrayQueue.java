package org.sample.queue;

import org.sample.queue.util.Checks;

/** A bounded queue stored in a ring buffer. */
public final class ArrayQueue<T> implements Queue<T> {
    private final Object[] items;
    private int head;
    private int count;

    public ArrayQueue(int capacity) {
        Checks.positive(capacity, "capacity");
        items = new Object[capacity];
    }

    @Override
    public void add(T item) {
        Checks.state(count < items.length, "queue is full");
        items[(head + count) % items.length] = item;
        count++;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T remove() {
        Checks.state(count > 0, "queue is empty");
        T item = (T) items[head];
        items[head] = null;
        head = (head + 1) % items.length;
        count--;
        return item;
    }

    @Override
    public int size() {
        return count;
    }
}
