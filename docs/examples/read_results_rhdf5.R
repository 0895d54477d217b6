# Reading a results file in R with Bioconductor's rhdf5: run from the directory holding results/.
library(rhdf5)
file <- "results/peer_mentor_staffing.h5"
for (name in c("usual_care", "mentors_140")) {
  relapse <- h5read(file, paste0("/arms/", name, "/outcomes/relapse_by_day_365"))  # one value per replicate
  cat(sprintf("%s: first relapse within a year %.3f (mean of %d replicates)\n", name, mean(relapse), length(relapse)))
}
q <- h5read(file, "/arms/mentors_120/summary/quantities")  # [3, K]: dimensions reversed
attributes <- h5readAttributes(file, "/arms/mentors_120/summary/quantities")
summary <- data.frame(quantity = attributes$labels, units = attributes$units,
                      mean = q[1, ], low = q[2, ], high = q[3, ])
print(summary[summary$quantity == "peer_mentor.wait_p90_days", ], row.names = FALSE)
curve <- t(h5read(file, "/arms/mentors_140/summary/curves/relapse"))  # [T, 3]: estimate, ci_low, ci_high
cat(sprintf("relapsed by day 365 (curve): %.3f\n", curve[366, 1]))
h5closeAll()
