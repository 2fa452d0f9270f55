"""Free-form write-ups (chat transcripts, Markdown, LaTeX, notebooks, plain text) →
answers, with where each one was found (:mod:`autograder.writeup.model`)."""
