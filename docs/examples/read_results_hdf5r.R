# Reading a results file in R with CRAN's hdf5r: run from the directory holding results/.
library(hdf5r)
file <- H5File$new("results/peer_mentor_staffing.h5", mode = "r")
cat("arms:", names(file[["arms"]]), "\n")
for (name in c("usual_care", "mentors_140")) {
  relapse <- file[[paste0("arms/", name, "/outcomes/relapse_by_day_365")]]$read()  # one value per replicate
  cat(sprintf("%s: first relapse within a year %.3f (mean of %d replicates)\n", name, mean(relapse), length(relapse)))
}
q <- file[["arms/mentors_120/summary/quantities"]]
values <- q$read()  # [3, K] in R: dimensions reversed; rows mean, ci_low, ci_high
summary <- data.frame(quantity = h5attr(q, "labels"), units = h5attr(q, "units"),
                      mean = values[1, ], low = values[2, ], high = values[3, ])
print(summary[summary$quantity == "peer_mentor.wait_p90_days", ], row.names = FALSE)
file$close_all()
