"""Split apps into the fewest groups that can each share one container, with a proof.

The problem is colouring a *hypergraph*: every conflict is a minimal set of apps that cannot
share one container (a pair for most, three or more for an N-way conflict), and a group is
valid when it contains no conflict as a whole. :func:`solve` is pure (no I/O) and deterministic:
every tie is broken by sorted app names, never by set or hash order.

How it solves, and why it stays fast on thousands of apps:

1. **Units.** ``together`` sets and apps fixed to the same group name are merged into one unit
   (union–find); every contradiction is reported as a :class:`~depsplit.errors.UsageError`.
2. **Collapse.** Apps with equal ``classes`` keys are one node (they are interchangeable, so an
   optimal plan may keep them together), and nodes that are structural twins (same neighbours,
   same hyperedges up to substitution) are merged too. Apps are only merged when they also had
   the same previous group, so stability never needs to split a node (a class split that way
   still shares every conflict listed for any of its members). With
   ``max_apps_per_group`` nothing is collapsed: identical apps may then have to be spread
   over several groups.
   **No pair of apps is listed.** A product (every app of one side against every app of
   the other) stays one *opposition* between two sides (sets of classes), whatever the
   sizes of its sides, and the many products that name one side (one per term it clashes
   with) read its apps once. A node's neighbours are a bitset worked out on demand: the OR
   of the sides opposed to the sides holding its class. Time and memory follow the
   oppositions and the nodes, not the app pairs they stand for (10,000 apps drawing random
   packages: 4 million app pairs, 544,000 oppositions between 20,000 sides).
3. **Components.** Connected components of the hypergraph are coloured independently; the
   number of groups is the *largest* component's count, because groups are formed by joining
   colour classes across components (apps of different components never conflict). With
   ``max_apps_per_group`` the whole graph is one component, since joining could overflow.
4. **Bounds and search.** Per component: an exact maximum clique of the pairwise graph
   (bitset branch and bound, with a time budget) gives a lower bound and its witness; it stops
   early when a colouring with as many colours proves its best clique maximum (which the full
   search would have returned too). DSATUR (respecting hyperedges and capacity) gives an upper
   bound; it keeps per colour the bitset of the nodes that may still take it, so its cost
   follows the domains (each node loses each colour once) rather than the edges. When they
   differ, a DSATUR-ordered backtracking search with forward checking asks "is there a
   colouring with *k* colours?" for *k* = the lower bound upwards, the clique pre-coloured to
   break symmetry. Finding one proves it optimal; exhausting the search refutes *k* and raises
   the proven lower bound to *k* + 1, which is how three-way conflicts that no clique shows
   are proven. If half the time runs
   out that way, the rest searches downwards from DSATUR's count to improve the plan.
   Components whose upper bound is already at the global lower bound are not searched.
5. **Stability.** Groups are slots named after the ``previous`` plan. Within the optimal count,
   each component's colouring is mapped to slots keeping the most apps where they were, then
   improved by moving apps back to their previous group whenever that stays valid; a greedy
   "previous plan first" colouring competes and wins when it keeps more apps.
6. **Verification.** With ``check``, every final group is verified as a whole. A group that
   fails adds the returned minimal subset as a new hyperedge and the model is solved again
   (lazy constraint generation), for at most :data:`MAX_CHECK_ROUNDS` rounds; after that every
   unit and every class of identical apps gets a group of its own (each checked too), which is
   claimed optimal only if that count meets the lower bound.
"""

from depsplit.partition.rounds import MAX_CHECK_ROUNDS, Solution, solve

__all__ = ["MAX_CHECK_ROUNDS", "Solution", "solve"]
