using System.Collections.Generic;
using System.Linq;

namespace Sample.Ledger
{
    /// <summary>An append-only list of entries with a running balance.</summary>
    public class Ledger
    {
        private readonly List<Entry> entries = new List<Entry>();

        public void Book(string description, decimal amount)
        {
            entries.Add(new Entry(description, amount));
        }

        public decimal Balance => entries.Sum(e => e.Amount);

        public IReadOnlyList<Entry> Entries => entries;
    }
}
