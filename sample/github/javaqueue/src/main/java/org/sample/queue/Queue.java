package org.sample.queue;

/** A first-in first-out queue. */
public interface Queue<T> {
    void add(T item);

    T remove();

    int size();

    default boolean isEmpty() {
        return size() == 0;
    }
}
