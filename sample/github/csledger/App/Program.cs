using System;
using Sample.Ledger;

namespace Sample.App
{
    public static class Program
    {
        public static void Main()
        {
            var ledger = new Ledger.Ledger();
            ledger.Book("coffee", -3.20m);
            ledger.Book("salary", 2500m);
            Console.WriteLine($"balance {ledger.Balance}");
        }
    }
}
