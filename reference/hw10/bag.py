def bag_of_embeddings(ids, table):
    """Mean of the embeddings of each sequence's tokens: [B, T] ids -> [B, D]."""
    return table[ids].mean(dim=1)
