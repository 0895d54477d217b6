# Reading a results file in Python (h5py, NumPy): run from the directory holding results/.
import h5py

with h5py.File("results/peer_mentor_staffing.h5", "r") as f:
    print("arms:", ", ".join(f["arms"]))
    for name in ("usual_care", "mentors_140"):
        relapse = f[f"arms/{name}/outcomes/relapse_by_day_365"][...]  # one value per replicate
        print(f"{name}: first relapse within a year {relapse.mean():.3f} (mean of {len(relapse)} replicates)")
    q = f["arms/mentors_120/summary/quantities"]  # [K, 3]: mean, ci_low, ci_high
    summary = dict(zip(q.attrs["labels"], q[...]))
    units = dict(zip(q.attrs["labels"], q.attrs["units"]))
    mean, low, high = summary["peer_mentor.wait_p90_days"]
    print(f"mentors_120: 90th-percentile wait {mean:.1f} [{low:.1f}, {high:.1f}] {units['peer_mentor.wait_p90_days']}")
    print("efficient frontier:", " -> ".join(f["decision/frontier"].attrs["labels"]))
