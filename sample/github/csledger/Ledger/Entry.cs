namespace Sample.Ledger
{
    /// <summary>One booked amount with a description.</summary>
    public sealed record Entry(string Description, decimal Amount);
}
